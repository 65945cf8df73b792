import { sql, type Kysely, type Transaction } from 'kysely';
import type { BetStatus, Selection } from '@ludic/contracts';
import { preparedQuery, type IdempotencyRecord, type IdempotencyRecordValues, type IdempotencyStore } from '@ludic/service-kit';
import type { BetRow, BetsDatabase, EventRow } from '../db.js';
import { SCHEMA } from '../migrations/index.js';

type Db = Kysely<BetsDatabase>;

export interface NewBet {
  id: string;
  userId: string;
  userName: string;
  eventId: string;
  eventName: string;
  selection: Selection;
  odds: bigint;
  amount: bigint;
  potentialWin: bigint;
}

/** What a bet's transaction reads in its second statement, after the key's lock. */
export interface BetPreconditions {
  /** The Idempotency-Key's record, if the key was used before. */
  record: IdempotencyRecord | undefined;
  /** The event, share-locked until the transaction ends; undefined if there is none. */
  event: EventRow | undefined;
  /** The transaction's timestamp (`now()`): the bet's created_at, as the column default would be. */
  now: Date;
}

type PreconditionsRow = { [K in keyof EventRow]: EventRow[K] | null } & {
  key_fingerprint: string | null;
  key_response_status: number | null;
  key_response_body: unknown;
  key_expired: boolean | null;
  tx_now: Date;
};

/**
 * Every column of `events`, written out: a prepared statement must not say `*` (see
 * `preparedQuery`). A record over `keyof EventRow`, so a column added to the table's type and
 * not here fails to compile.
 */
const EVENT_COLUMNS = Object.keys({
  id: true, tournament: true, round: true, home_team: true, away_team: true, starts_at: true, status: true, score_home: true,
  score_away: true, result: true, odds_home: true, odds_draw: true, odds_away: true, version: true, created_at: true,
  updated_at: true, settled_at: true,
} satisfies Record<keyof EventRow, true>);

/** The two statements of every bet, per idempotency table (the text names it). */
const betStatements = new Map<string, { preconditions: string; insert: string }>();

function betStatementsFor(store: IdempotencyStore): { preconditions: string; insert: string } {
  let statements = betStatements.get(store.table);
  if (!statements) {
    const keys = `"${SCHEMA}"."${store.table}"`;
    statements = {
      preconditions: `select k.fingerprint as key_fingerprint, k.response_status as key_response_status, k.response_body as key_response_body,
       k.expires_at <= now() as key_expired, now() as tx_now, ${EVENT_COLUMNS.map((column) => `e.${column}`).join(', ')}
  from (select 1) as one
  left join ${keys} k on k.user_id = $1 and k.key = $2
  left join lateral (select ${EVENT_COLUMNS.join(', ')} from "${SCHEMA}"."events" where id = $3 for share) e on true`,
      insert: `with record as (
  insert into ${keys} (user_id, key, fingerprint, response_status, response_body, expires_at)
  values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
)
insert into "${SCHEMA}"."bets" (id, user_id, user_name, event_id, event_name, selection, odds, amount, potential_win, status, result, created_at, settled_at)
values ($7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending', null, $16, null)`,
    };
    betStatements.set(store.table, statements);
  }
  return statements;
}

/**
 * One round trip for what a bet needs to know before it is written: the key's record and the
 * event under a share lock (odds, status and settlement wait for the bet to commit or roll
 * back; bets of one event do not block one another). Runs after `lockIdempotencyKey`, in a
 * statement of its own, so it sees whatever the key's previous holder committed. Prepared,
 * like the insert below: every bet runs both.
 */
export async function readBetPreconditions(trx: Transaction<BetsDatabase>, store: IdempotencyStore, key: { userId: string; key: string }, eventId: string): Promise<BetPreconditions> {
  const { rows } = await trx.executeQuery(preparedQuery<PreconditionsRow>(betStatementsFor(store).preconditions, [key.userId, key.key, eventId]));
  const { key_fingerprint, key_response_status, key_response_body, key_expired, tx_now, ...event } = rows[0]!;
  return {
    record:
      key_fingerprint === null
        ? undefined
        : { fingerprint: key_fingerprint, response_status: key_response_status!, response_body: key_response_body, expired: key_expired! },
    event: event.id === null ? undefined : (event as EventRow),
    now: tx_now,
  };
}

/**
 * Writes the bet and the Idempotency-Key record of its response in one statement. The record
 * commits with the bet or not at all; were a concurrent first attempt to have recorded the key
 * meanwhile, the primary key refuses this one before any money moves.
 */
export async function insertBetWithRecord(trx: Transaction<BetsDatabase>, row: BetRow, store: IdempotencyStore, record: IdempotencyRecordValues): Promise<void> {
  await trx.executeQuery(
    preparedQuery(betStatementsFor(store).insert, [
      record.user_id, record.key, record.fingerprint, record.response_status, record.response_body, store.retentionSeconds,
      row.id, row.user_id, row.user_name, row.event_id, row.event_name, row.selection, row.odds, row.amount, row.potential_win, row.created_at,
    ]),
  );
}

/** The row of a new bet: pending, created at `createdAt` (its transaction's timestamp). */
export function pendingBetRow(bet: NewBet, createdAt: Date): BetRow {
  return {
    id: bet.id,
    user_id: bet.userId,
    user_name: bet.userName,
    event_id: bet.eventId,
    event_name: bet.eventName,
    selection: bet.selection,
    odds: Number(bet.odds),
    amount: bet.amount,
    potential_win: bet.potentialWin,
    status: 'pending',
    result: null,
    created_at: createdAt,
    settled_at: null,
  };
}

export async function findBet(db: Db, id: string): Promise<BetRow | undefined> {
  return db.selectFrom('bets').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A bet of this user; another user's bet is indistinguishable from a missing one. */
export async function findUserBet(db: Db, userId: string, id: string): Promise<BetRow | undefined> {
  return db.selectFrom('bets').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
}

export interface BetListFilter {
  status?: BetStatus;
  limit: number;
  /** Keyset cursor: the id of the last bet of the previous page. */
  before?: string;
}

/** Newest first, served by (user_id, created_at desc, id desc). */
export async function listUserBets(db: Db, userId: string, filter: BetListFilter): Promise<BetRow[]> {
  let query = db.selectFrom('bets').selectAll().where('user_id', '=', userId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.before) {
    const cursor = filter.before;
    const cursorRow = db.selectFrom('bets').select(['created_at', 'id']).where('id', '=', cursor).where('user_id', '=', userId);
    // An unknown cursor (or another user's bet) compares as null: an empty page.
    query = query.where(sql<boolean>`(created_at, id) < (${cursorRow})`);
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/** How many bets a settlement decided with one outcome, and their stakes (minor units). */
export interface SettledTotal {
  outcome: 'won' | 'lost' | 'void';
  bets: number;
  stakes: bigint;
}

const SETTLED_TOTALS = sql`select status as outcome, count(*)::int as bets, coalesce(sum(amount), 0)::bigint as stakes from settled group by status`;

/**
 * Marks every pending bet of the event won or lost and queues one payout per winner in the
 * outbox (reference `payout:<betId>`), in ONE statement: however many bets the event has, none
 * of them passes through this process (no parameter limit, no memory that grows with the
 * event). Returns the totals by outcome.
 */
export async function settlePendingBets(trx: Transaction<BetsDatabase>, eventId: string, result: Selection): Promise<SettledTotal[]> {
  const { rows } = await sql<SettledTotal>`
    with settled as (
      update ${sql.table(`${SCHEMA}.bets`)}
      set status = case when selection = ${result} then 'won' else 'lost' end, result = ${result}, settled_at = now()
      where event_id = ${eventId} and status = 'pending'
      returning id, user_id, status, amount, potential_win
    ), payouts as (
      insert into ${sql.table(`${SCHEMA}.settlement_outbox`)} (bet_id, user_id, kind, amount, reference)
      select id, user_id, 'payout', potential_win, 'payout:' || id from settled where status = 'won'
    )
    ${SETTLED_TOTALS}`.execute(trx);
  return rows;
}

/** Marks every pending bet of the event void and queues the refund of each stake (`refund:<betId>`), in one statement. */
export async function voidPendingBets(trx: Transaction<BetsDatabase>, eventId: string): Promise<SettledTotal[]> {
  const { rows } = await sql<SettledTotal>`
    with settled as (
      update ${sql.table(`${SCHEMA}.bets`)} set status = 'void', settled_at = now()
      where event_id = ${eventId} and status = 'pending'
      returning id, user_id, status, amount
    ), refunds as (
      insert into ${sql.table(`${SCHEMA}.settlement_outbox`)} (bet_id, user_id, kind, amount, reference)
      select id, user_id, 'refund', amount, 'refund:' || id from settled
    )
    ${SETTLED_TOTALS}`.execute(trx);
  return rows;
}

/** One page of an event's decided bets in id order, after `afterId`: for notifying bettors in bounded batches. */
export async function decidedBetsPage(db: Db, eventId: string, afterId: string | undefined, limit: number): Promise<BetRow[]> {
  let query = db.selectFrom('bets').selectAll().where('event_id', '=', eventId).where('status', '<>', 'pending').orderBy('id').limit(limit);
  if (afterId !== undefined) query = query.where('id', '>', afterId);
  return query.execute();
}

/** Which of these bet ids exist (committed). */
export async function existingBetIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('bets').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((row) => row.id));
}

export interface LeaderRow {
  user_id: string;
  name: string;
  total_bets: number;
  won_bets: number;
  profit: bigint;
}

/**
 * Top players by profit over settled bets (won pays potential_win − stake, lost costs the
 * stake; void and pending count for nothing), named as on each player's latest bet.
 */
export async function topByProfit(db: Db, limit: number): Promise<LeaderRow[]> {
  const rows = await db
    .with('totals', (qb) =>
      qb
        .selectFrom('bets')
        .where('status', 'in', ['won', 'lost'])
        .groupBy('user_id')
        .select((eb) => [
          'user_id',
          eb.fn.countAll<string>().as('total_bets'),
          sql<string>`count(*) filter (where status = 'won')`.as('won_bets'),
          sql<bigint>`sum(case when status = 'won' then potential_win - amount else -amount end)::bigint`.as('profit'),
        ]),
    )
    .selectFrom('totals')
    .select((eb) => [
      'totals.user_id',
      'totals.total_bets',
      'totals.won_bets',
      'totals.profit',
      eb
        .selectFrom('bets as latest')
        .select('latest.user_name')
        .whereRef('latest.user_id', '=', 'totals.user_id')
        .orderBy('latest.created_at', 'desc')
        .orderBy('latest.id', 'desc')
        .limit(1)
        .as('name'),
    ])
    .orderBy('totals.profit', 'desc')
    .orderBy('totals.user_id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    user_id: row.user_id,
    name: row.name ?? '',
    total_bets: Number(row.total_bets),
    won_bets: Number(row.won_bets),
    profit: BigInt(row.profit),
  }));
}
