import { sql, type Kysely, type Transaction } from 'kysely';
import type { BetsDatabase, OutboxKind, OutboxRow } from '../db.js';

type Db = Kysely<BetsDatabase>;

/** Rows are written by settlement (`settlePendingBets`, `voidPendingBets`: reference `payout:<betId>` or `refund:<betId>`, applied once by the wallet). */

/**
 * Claims up to `limit` due credits for this worker: their next attempt moves `leaseMs` into
 * the future, so other instances (which skip locked and not-yet-due rows) leave them alone
 * while this one delivers; if this process dies they become due again when the lease ends.
 */
export async function claimDueCredits(db: Db, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  return db
    .updateTable('settlement_outbox')
    .set({
      attempts: sql<number>`attempts + 1`,
      next_attempt_at: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
    })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('settlement_outbox')
        .select('id')
        .where('delivered_at', 'is', null)
        .where('next_attempt_at', '<=', sql<Date>`now()`)
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

export async function markDelivered(db: Db, id: string): Promise<void> {
  await db.updateTable('settlement_outbox').set({ delivered_at: sql<Date>`now()`, last_error: null }).where('id', '=', id).execute();
}

export async function markFailed(db: Db, id: string, error: string, retryInMs: number): Promise<void> {
  await db
    .updateTable('settlement_outbox')
    .set({ last_error: error.slice(0, 500), next_attempt_at: sql<Date>`now() + make_interval(secs => ${retryInMs / 1000})` })
    .where('id', '=', id)
    .execute();
}

export async function countUndelivered(db: Db): Promise<number> {
  const row = await db
    .selectFrom('settlement_outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('delivered_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
