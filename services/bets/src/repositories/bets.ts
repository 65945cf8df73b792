import { sql, type Kysely, type Transaction } from 'kysely';
import type { BetStatus, Selection } from '@ludic/contracts';
import type { BetRow, BetsDatabase } from '../db.js';

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

export async function insertBet(trx: Transaction<BetsDatabase>, bet: NewBet): Promise<BetRow> {
  return trx
    .insertInto('bets')
    .values({
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
      settled_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
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

/** Marks every pending bet of the event won or lost by `result`; returns the settled bets. */
export async function settlePendingBets(trx: Transaction<BetsDatabase>, eventId: string, result: Selection): Promise<BetRow[]> {
  return trx
    .updateTable('bets')
    .set({
      status: sql<'won' | 'lost'>`case when selection = ${result} then 'won' else 'lost' end`,
      result,
      settled_at: sql<Date>`now()`,
    })
    .where('event_id', '=', eventId)
    .where('status', '=', 'pending')
    .returningAll()
    .execute();
}

/** Marks every pending bet of the event void; returns them. */
export async function voidPendingBets(trx: Transaction<BetsDatabase>, eventId: string): Promise<BetRow[]> {
  return trx
    .updateTable('bets')
    .set({ status: 'void', settled_at: sql<Date>`now()` })
    .where('event_id', '=', eventId)
    .where('status', '=', 'pending')
    .returningAll()
    .execute();
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
