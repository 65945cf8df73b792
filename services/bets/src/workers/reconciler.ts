import type { LedgerEntry } from '@ludic/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { BetsDatabase } from '../db.js';
import { existingBetIds } from '../repositories/bets.js';
import type { WalletClient } from '../wallet.js';

export interface ReconcilerDeps {
  db: Kysely<BetsDatabase>;
  pool: pg.Pool;
  wallet: WalletClient;
  log: FastifyBaseLogger;
  /** Only debits older than this are judged: younger ones may belong to a bet still committing. */
  reconcileAfterMs: number;
  pageSize: number;
}

export interface ReconcileReport {
  /** False when another instance held the reconciler lock (it did the work). */
  ran: boolean;
  checked: number;
  voided: string[];
}

const STATE_NAME = 'stake-debits';
// One reconciler at a time across every instance; the lock dies with its session.
const LOCK_NAME = 'bets.reconciler.stake-debits';

/**
 * Finds `bet:` debits in the wallet that have no committed bet (the process died between the
 * debit and the commit, or could not void after a failure) and voids them. It walks the
 * window of debits created since the last pass up to `now − reconcileAfterMs`; the debits of
 * bets still inside their transaction are younger than that, so they are never touched.
 */
export async function reconcileStakeDebits(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const client = await deps.pool.connect();
  let locked = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [LOCK_NAME]);
    locked = rows[0]?.locked === true;
    if (!locked) return { ran: false, checked: 0, voided: [] };

    const state = await deps.db.selectFrom('reconciler_state').select('checked_until').where('name', '=', STATE_NAME).executeTakeFirst();
    const from = state?.checked_until ?? new Date(0);
    const until = new Date(Date.now() - deps.reconcileAfterMs);
    if (until <= from) return { ran: true, checked: 0, voided: [] };

    const debits = await stakeDebitsBetween(deps, from, until);
    const betIds = debits.map((entry) => entry.reference.slice('bet:'.length));
    const committed = await existingBetIds(deps.db, betIds.filter(isUuid));
    const orphans = debits.filter((entry) => !committed.has(entry.reference.slice('bet:'.length)));
    const voided: string[] = [];
    for (const orphan of orphans) {
      // Throws on failure: the watermark stays put and the whole window is retried next pass.
      const outcome = await deps.wallet.voidDebit(orphan.reference, `reconciler:${orphan.reference}`);
      voided.push(orphan.reference);
      deps.log.warn({ reference: orphan.reference, userId: orphan.userId, amount: orphan.amount, reversed: outcome.voided }, 'voided a stake debit that has no bet');
    }
    await deps.db
      .insertInto('reconciler_state')
      .values({ name: STATE_NAME, checked_until: until })
      .onConflict((oc) => oc.column('name').doUpdateSet({ checked_until: until }))
      .execute();
    return { ran: true, checked: debits.length, voided };
  } finally {
    if (locked) await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [LOCK_NAME]).catch(() => undefined);
    client.release();
  }
}

/**
 * The wallet lists `bet:` entries newest first, strictly older than `olderThan`. Pages step
 * back to the oldest timestamp seen, inclusive (entries can share a millisecond), until they
 * reach `from`; entries seen twice are counted once.
 */
async function stakeDebitsBetween(deps: ReconcilerDeps, from: Date, until: Date): Promise<LedgerEntry[]> {
  const seen = new Map<string, LedgerEntry>();
  let olderThan = until;
  for (;;) {
    const page = await deps.wallet.entries({ prefix: 'bet:', olderThan, limit: deps.pageSize }, 'reconciler');
    let oldest = olderThan;
    for (const entry of page) {
      const createdAt = new Date(entry.createdAt);
      if (createdAt < from) continue;
      if (entry.type === 'bet_stake') seen.set(entry.id, entry);
      if (createdAt < oldest) oldest = createdAt;
    }
    const reachedFrom = page.length < deps.pageSize || page.some((entry) => new Date(entry.createdAt) < from);
    if (reachedFrom) break;
    // Include the oldest millisecond again, unless the whole page sits in it (then step past it).
    const next = new Date(oldest.getTime() + 1);
    olderThan = next < olderThan ? next : oldest;
  }
  return [...seen.values()];
}

/** A `bet:` reference whose id is not a UUID was never a bet of ours: it is an orphan. */
function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}
