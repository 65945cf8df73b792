import { sql, type Kysely } from 'kysely';
import type { EventStatus } from '@ludic/contracts';
import type { BetsDatabase, EventRow, NewEventRow } from '../db.js';

type Db = Kysely<BetsDatabase>;

export async function insertEvent(db: Db, row: NewEventRow): Promise<EventRow> {
  return db.insertInto('events').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findEvent(db: Db, id: string): Promise<EventRow | undefined> {
  return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Reads the event and locks it for an update (settlement, admin changes) until the transaction
 * ends; bets hold it with a share lock meanwhile (`readBetPreconditions`), so a change waits for
 * the bets in flight to commit or roll back.
 */
export async function lockEventForUpdate(db: Db, id: string): Promise<EventRow | undefined> {
  return db.selectFrom('events').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export interface EventChanges {
  status?: EventStatus;
  odds?: { home: number; draw: number; away: number };
  result?: 'home' | 'draw' | 'away';
  score?: { home: number; away: number };
  settled?: boolean;
}

export async function updateEvent(db: Db, id: string, changes: EventChanges): Promise<EventRow> {
  return db
    .updateTable('events')
    .set({
      ...(changes.status ? { status: changes.status } : {}),
      ...(changes.odds ? { odds_home: changes.odds.home, odds_draw: changes.odds.draw, odds_away: changes.odds.away } : {}),
      ...(changes.result ? { result: changes.result } : {}),
      ...(changes.score ? { score_home: changes.score.home, score_away: changes.score.away } : {}),
      ...(changes.settled ? { settled_at: sql<Date>`now()` } : {}),
      version: sql<number>`version + 1`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface EventListFilter {
  status?: EventStatus;
  limit: number;
  /** Keyset cursor: the id of the last event of the previous page. */
  before?: string;
  /** Without a status filter, finished events settled before this are left out. */
  finishedSince: Date;
}

/** Soonest kick-off first; without `status`, what a player can follow: not cancelled, not long finished. */
export async function listEvents(db: Db, filter: EventListFilter): Promise<EventRow[]> {
  let query = db.selectFrom('events').selectAll();
  if (filter.status) {
    query = query.where('status', '=', filter.status);
  } else {
    query = query.where((eb) =>
      eb.or([
        eb('status', 'in', ['upcoming', 'live', 'suspended']),
        eb.and([eb('status', '=', 'finished'), eb('settled_at', '>=', filter.finishedSince)]),
      ]),
    );
  }
  if (filter.before) {
    const cursor = filter.before;
    const cursorRow = db.selectFrom('events').select(['starts_at', 'id']).where('id', '=', cursor);
    // An unknown cursor compares as null: an empty page rather than the first one again.
    query = query.where(sql<boolean>`(starts_at, id) > (${cursorRow})`);
  }
  return query.orderBy('starts_at').orderBy('id').limit(filter.limit).execute();
}

/** Moves every upcoming event whose kick-off has passed to live; returns how many moved. */
export async function startDueEvents(db: Db): Promise<number> {
  const result = await db
    .updateTable('events')
    .set({ status: 'live', version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
    .where('status', '=', 'upcoming')
    .where('starts_at', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
