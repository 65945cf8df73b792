import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerEntry } from '@ludic/contracts';
import type { FastifyBaseLogger } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { BetsDatabase } from '../db.js';
import { existingBetIds } from '../repositories/bets.js';
import type { WalletClient } from '../wallet.js';

export interface ReconcilerDeps {
  db: Kysely<BetsDatabase>;
  wallet: WalletClient;
  log: FastifyBaseLogger;
  /** Only debits older than this are judged: younger ones may belong to a bet still committing. */
  reconcileAfterMs: number;
  /** Debits judged per wallet call. */
  pageSize: number;
  /** Pause between pages, so a pass over a large window never arrives as one burst of work. */
  pagePauseMs: number;
  /**
   * How long the lease is held without renewal. It is renewed before every wallet call, so it
   * must exceed one wallet call plus one statement (WALLET_TIMEOUT_MS + the statement timeout);
   * it is also the longest a crashed holder delays the next pass.
   */
  leaseMs: number;
}

export interface ReconcileReport {
  /** False when another pass held the reconciler lease (it does the work). */
  ran: boolean;
  checked: number;
  voided: string[];
}

const STATE_NAME = 'stake-debits';

/*
 * One reconciler pass at a time across every instance: a lease on the `reconciler_state` row.
 *
 * Not an advisory lock: a session lock (pg_try_advisory_lock) is stranded on whichever server
 * connection PgBouncer's transaction pooling happened to use, and a transaction-scoped one
 * (pg_try_advisory_xact_lock) would have to keep a transaction, and a pooled server
 * connection, open across the wallet calls of a whole pass — several pages and one void per
 * orphan, each up to WALLET_TIMEOUT_MS — which idle_in_transaction_session_timeout (twice the
 * statement timeout, deploy/postgres/timeouts.sql) cuts off, rolling back the watermark of
 * work already done. The lease needs no open transaction: every step is one autocommitted
 * statement, so any pooling mode carries it.
 *
 * - Taking it is one statement: the row is claimed with a fresh random token only if no lease
 *   is live (expiry by the database's clock, so instances' clocks do not matter). Two
 *   instances racing for it serialise on the row; exactly one gets it.
 * - A crashed holder's lease simply expires: the next pass waits at most `leaseMs`.
 * - The holder renews it before every wallet call and stops when the renewal finds another
 *   token: each step then starts with at least `leaseMs` of lease left, more than the step
 *   takes. Only a process stalled longer than that could overlap a successor, and then
 *   nothing breaks: the wallet voids `bet:<id>` once whoever asks (a repeat answers the first
 *   result), and orphans are judged from committed rows only.
 * - The watermark is written with the token (a holder that lost its lease writes nothing) and
 *   never moves back (`greatest`), and the same statement releases the lease.
 */
export async function reconcileStakeDebits(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const token = randomUUID();
  const lease = await takeLease(deps, token);
  if (!lease) return { ran: false, checked: 0, voided: [] };
  let released = false;
  try {
    const from = lease.checkedUntil;
    const until = new Date(Date.now() - deps.reconcileAfterMs);
    if (until <= from) return { ran: true, checked: 0, voided: [] };

    const report: ReconcileReport = { ran: true, checked: 0, voided: [] };
    const judged = await judgeDebitsBetween(deps, token, from, until, report);
    if (!judged) return leaseLost(deps, report);
    const saved = await deps.db
      .updateTable('reconciler_state')
      .set({ checked_until: sql<Date>`greatest(checked_until, ${until})`, lease_token: null, lease_expires_at: null })
      .where('name', '=', STATE_NAME)
      .where('lease_token', '=', token)
      .executeTakeFirst();
    released = true;
    if (saved.numUpdatedRows === 0n) return leaseLost(deps, report);
    return report;
  } finally {
    // Let the next pass (any instance) start at once; if this fails the lease just expires.
    if (!released) {
      await deps.db
        .updateTable('reconciler_state')
        .set({ lease_token: null, lease_expires_at: null })
        .where('name', '=', STATE_NAME)
        .where('lease_token', '=', token)
        .execute()
        .catch(() => undefined);
    }
  }
}

/** Claims the lease when none is live; returns the watermark, or undefined when another pass holds it. */
async function takeLease(deps: ReconcilerDeps, token: string): Promise<{ checkedUntil: Date } | undefined> {
  const row = await deps.db
    .insertInto('reconciler_state')
    .values({ name: STATE_NAME, checked_until: new Date(0), lease_token: token, lease_expires_at: leaseEnd(deps) })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ lease_token: token, lease_expires_at: leaseEnd(deps) })
        .where((eb) => eb.or([eb('reconciler_state.lease_expires_at', 'is', null), eb('reconciler_state.lease_expires_at', '<=', sql<Date>`now()`)])),
    )
    .returning('checked_until')
    .executeTakeFirst();
  return row ? { checkedUntil: row.checked_until } : undefined;
}

/** Extends the lease by `leaseMs` from now; false when it is no longer this pass's. */
async function renewLease(deps: ReconcilerDeps, token: string): Promise<boolean> {
  const renewed = await deps.db
    .updateTable('reconciler_state')
    .set({ lease_expires_at: leaseEnd(deps) })
    .where('name', '=', STATE_NAME)
    .where('lease_token', '=', token)
    .executeTakeFirst();
  return renewed.numUpdatedRows > 0n;
}

function leaseEnd(deps: ReconcilerDeps) {
  return sql<Date>`now() + make_interval(secs => ${deps.leaseMs / 1000})`;
}

function leaseLost(deps: ReconcilerDeps, report: ReconcileReport): ReconcileReport {
  deps.log.warn({ voided: report.voided.length }, 'reconciler lease lost mid-pass (a stall longer than the lease): stopped, the next pass covers the window');
  return report;
}

/**
 * Judges the window page by page: the wallet lists `bet:` entries newest first (ties by entry
 * number) before `until`, each page going on strictly after the last entry of the one before,
 * until one reaches past `from`. Each page's debits are checked against committed bets and its
 * orphans voided before the next page is asked for, after a pause: a pass over thousands of
 * debits used to arrive as one burst of CPU in the wallet, here and in PostgreSQL, and every bet
 * in flight queued behind it (paced bets at 150/s: p99 197 ms with the reconciler, 77 ms
 * without). False when the lease was lost.
 */
async function judgeDebitsBetween(deps: ReconcilerDeps, token: string, from: Date, until: Date, report: ReconcileReport): Promise<boolean> {
  let after: string | undefined;
  for (;;) {
    if (!(await renewLease(deps, token))) return false;
    const page = await deps.wallet.entries({ prefix: 'bet:', olderThan: until, after, limit: deps.pageSize }, 'reconciler');
    const inWindow = page.filter((entry) => new Date(entry.createdAt) >= from);
    if (!(await voidOrphans(deps, token, inWindow.filter((entry) => entry.type === 'bet_stake'), report))) return false;
    if (page.length < deps.pageSize || inWindow.length < page.length) return true;
    after = page[page.length - 1]!.id;
    if (deps.pagePauseMs > 0) await sleep(deps.pagePauseMs);
  }
}

/** Voids every debit of `debits` without a committed bet; false when the lease was lost. */
async function voidOrphans(deps: ReconcilerDeps, token: string, debits: LedgerEntry[], report: ReconcileReport): Promise<boolean> {
  report.checked += debits.length;
  const betIdOf = (entry: LedgerEntry) => entry.reference.slice('bet:'.length);
  const committed = await existingBetIds(deps.db, debits.map(betIdOf).filter(isUuid));
  for (const orphan of debits.filter((entry) => !committed.has(betIdOf(entry)))) {
    if (!(await renewLease(deps, token))) return false;
    // Throws on failure: the watermark stays put and the whole window is retried next pass.
    const outcome = await deps.wallet.voidDebit(orphan.reference, `reconciler:${orphan.reference}`);
    report.voided.push(orphan.reference);
    deps.log.warn({ reference: orphan.reference, userId: orphan.userId, amount: orphan.amount, reversed: outcome.voided }, 'voided a stake debit that has no bet');
  }
  return true;
}

/** A `bet:` reference whose id is not a UUID was never a bet of ours: it is an orphan. */
function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}
