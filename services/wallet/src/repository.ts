import { preparedQuery } from '@ludic/service-kit';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { EntryType } from '@ludic/contracts';
import type { LedgerEntriesTable, WalletDatabase, WalletsTable } from './db.js';
import { SCHEMA } from './migrations/index.js';

/** All of the wallet's SQL. Money in minor units; rows go back to ledger.ts, never to clients. */

export type Trx = Transaction<WalletDatabase>;
export type Db = Kysely<WalletDatabase>;
export type WalletRow = Selectable<WalletsTable>;
export type EntryRow = Selectable<LedgerEntriesTable>;
/** An entry with its owner, for comparing a replay against the first request. */
export type OwnedEntryRow = EntryRow & { user_id: string };

const entryColumns = ['id', 'entry_no', 'wallet_id', 'type', 'amount', 'balance_after', 'reference', 'reference_kind', 'created_at'] as const;

/**
 * Serializes every movement of one reference (debit, credit, void) across all instances, so
 * "is there a tombstone / an entry?" and the write that follows cannot interleave with another
 * movement of the same reference. Held until commit; taken before any wallet row lock, always.
 */
export async function lockReference(trx: Trx, reference: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`wallet.reference:${reference}`}, 0))`.execute(trx);
}

export async function findWalletByUser(db: Db | Trx, userId: string): Promise<WalletRow | undefined> {
  return db.selectFrom('wallets').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/**
 * The wallet and its version, the entry_no of its latest entry, read in one snapshot: what the
 * balance cache stores the answer under. Every cache miss runs it (each player's cached answer
 * lives a second), so its SQL is written once here rather than built and compiled by Kysely on
 * every call, which cost about a third of a miss's CPU (scripts/bench, GET /api/wallet).
 */
const WALLET_WITH_VERSION = `select w.id, w.user_id, w.balance, w.currency, w.created_at, w.updated_at,
  (select max(e.entry_no) from "${SCHEMA}"."ledger_entries" e where e.wallet_id = w.id) as version
  from "${SCHEMA}"."wallets" w where w.user_id = $1`;

export async function findWalletWithVersion(db: Db, userId: string): Promise<(WalletRow & { version: bigint | null }) | undefined> {
  const { rows } = await db.executeQuery(preparedQuery<WalletRow & { version: bigint | null }>(WALLET_WITH_VERSION, [userId]));
  return rows[0];
}

/** Inserts the wallet unless it exists; returns it only when this call created it. */
export async function insertWalletIfMissing(trx: Trx, userId: string, balance: bigint, currency: string): Promise<WalletRow | undefined> {
  return trx
    .insertInto('wallets')
    .values({ user_id: userId, balance, currency })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Locks the wallet row for the rest of the transaction (deposits check their daily limit under it). */
export async function lockWalletByUser(trx: Trx, userId: string): Promise<WalletRow | undefined> {
  return trx.selectFrom('wallets').selectAll().where('user_id', '=', userId).forUpdate().executeTakeFirst();
}

export type StakeOutcome = 'taken' | 'replay' | 'voided' | 'insufficient' | 'no_wallet';

/** The function's columns named, not `*`: the statement is prepared (see `preparedQuery`). */
const TAKE_STAKE = `select outcome, ${entryColumns.join(', ')}, user_id from "${SCHEMA}".take_stake($1, $2, $3)`;

/**
 * A bet's debit in one statement (its own transaction): see `wallet.take_stake` in migration
 * 0002 for the rules. `entry` is the new entry ('taken') or the earlier one ('replay').
 */
export async function takeStake(db: Db | Trx, debit: { userId: string; amount: bigint; reference: string }): Promise<{ outcome: StakeOutcome; entry: OwnedEntryRow | undefined }> {
  const { rows } = await db.executeQuery(
    preparedQuery<{ outcome: StakeOutcome } & { [K in keyof OwnedEntryRow]: OwnedEntryRow[K] | null }>(TAKE_STAKE, [debit.userId, debit.amount, debit.reference]),
  );
  const { outcome, ...entry } = rows[0]!;
  return { outcome, entry: entry.id === null ? undefined : (entry as OwnedEntryRow) };
}

export async function addToBalance(trx: Trx, by: { userId: string } | { walletId: string }, amount: bigint): Promise<Pick<WalletRow, 'id' | 'balance' | 'user_id'> | undefined> {
  const update = trx.updateTable('wallets').set({ balance: sql<bigint>`balance + ${amount}`, updated_at: sql<Date>`now()` });
  return ('userId' in by ? update.where('user_id', '=', by.userId) : update.where('id', '=', by.walletId))
    .returning(['id', 'balance', 'user_id'])
    .executeTakeFirst();
}

export async function insertEntry(
  trx: Trx,
  entry: { walletId: string; type: EntryType; amount: bigint; balanceAfter: bigint; reference: string },
): Promise<EntryRow> {
  return trx
    .insertInto('ledger_entries')
    .values({ wallet_id: entry.walletId, type: entry.type, amount: entry.amount, balance_after: entry.balanceAfter, reference: entry.reference })
    .returning(entryColumns)
    .executeTakeFirstOrThrow();
}

export async function findOwnedEntries(db: Db | Trx, references: string[]): Promise<OwnedEntryRow[]> {
  return db
    .selectFrom('ledger_entries as e')
    .innerJoin('wallets as w', 'w.id', 'e.wallet_id')
    .select(entryColumns.map((c) => `e.${c}` as const))
    .select('w.user_id')
    .where('e.reference', 'in', references)
    .orderBy('e.entry_no')
    .execute();
}

export async function findOwnedEntry(trx: Trx, reference: string): Promise<OwnedEntryRow | undefined> {
  return (await findOwnedEntries(trx, [reference]))[0];
}

export async function findTombstone(trx: Trx, reference: string) {
  return trx.selectFrom('voided_references').select(['reference', 'reversal_entry_id']).where('reference', '=', reference).executeTakeFirst();
}

export async function insertTombstone(trx: Trx, reference: string, reversalEntryId: string | null): Promise<void> {
  await trx.insertInto('voided_references').values({ reference, reversal_entry_id: reversalEntryId }).execute();
}

/** Deposits into the wallet over the last 24 hours (the rolling daily limit). */
export async function sumRecentDeposits(trx: Trx, walletId: string): Promise<bigint> {
  const row = await trx
    .selectFrom('ledger_entries')
    .select(sql<bigint>`coalesce(sum(amount), 0)::bigint`.as('total'))
    .where('wallet_id', '=', walletId)
    .where('type', '=', 'deposit')
    .where('created_at', '>', sql<Date>`now() - interval '24 hours'`)
    .executeTakeFirstOrThrow();
  return row.total;
}

/** A wallet's entries, newest first, strictly before the entry `before` (when given). */
export async function listWalletEntries(db: Db, walletId: string, page: { limit: number; before?: string | undefined }): Promise<EntryRow[]> {
  let query = db
    .selectFrom('ledger_entries')
    .select(entryColumns)
    .where('wallet_id', '=', walletId)
    .orderBy('entry_no', 'desc')
    .limit(page.limit);
  if (page.before !== undefined) {
    const before = page.before;
    // An id from another wallet matches nothing, so it pages nowhere rather than leaking.
    query = query.where('entry_no', '<', (eb) =>
      eb.selectFrom('ledger_entries').select('entry_no').where('id', '=', before).where('wallet_id', '=', walletId),
    );
  }
  return query.execute();
}

/**
 * Entries whose reference is of `kind` (`bet` for `bet:…`), newest first and, within one
 * millisecond, highest entry number (latest inserted) first; created before `olderThan`; strictly after the entry
 * `after` in that order (a keyset page: ties never fall between two pages).
 */
export async function findOwnedEntriesByKind(db: Db, kind: string, page: { olderThan?: Date; after?: string; limit: number }): Promise<OwnedEntryRow[]> {
  let query = db
    .selectFrom('ledger_entries as e')
    .innerJoin('wallets as w', 'w.id', 'e.wallet_id')
    .select(entryColumns.map((c) => `e.${c}` as const))
    .select('w.user_id')
    .where('e.reference_kind', '=', kind)
    .orderBy('e.created_at', 'desc')
    .orderBy('e.entry_no', 'desc')
    .limit(page.limit);
  if (page.olderThan) query = query.where('e.created_at', '<', page.olderThan);
  if (page.after) {
    const after = page.after;
    query = query.where(({ eb, refTuple, selectFrom }) =>
      eb(refTuple('e.created_at', 'e.entry_no'), '<', selectFrom('ledger_entries as c').select(['c.created_at', 'c.entry_no']).where('c.id', '=', after).$asTuple('created_at', 'entry_no')),
    );
  }
  return query.execute();
}
