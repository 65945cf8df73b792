import { randomUUID } from 'node:crypto';
import { parseOdds, type CreateEventBody, type EventStatus, type Event, type MarketOdds, type UpdateEventBody } from '@ludic/contracts';
import { LudicError } from '@ludic/service-kit';
import type { Kysely } from 'kysely';
import type { BetsDatabase } from '../db.js';
import { findEvent, insertEvent, lockEventForUpdate, updateEvent } from '../repositories/events.js';
import { decideStatusChange } from './event-status.js';
import { toEvent } from './mapping.js';

function oddsColumns(odds: MarketOdds, field: string): { home: number; draw: number; away: number } {
  const parsed = { home: parseOdds(odds.home), draw: parseOdds(odds.draw), away: parseOdds(odds.away) };
  for (const [selection, value] of Object.entries(parsed)) {
    if (value === null) {
      throw new LudicError('VALIDATION_ERROR', 'odds must be between 1.01 and 1000.00', {
        fields: [{ field: `body/${field}/${selection}`, message: 'must be between 1.01 and 1000.00' }],
      });
    }
  }
  return { home: Number(parsed.home), draw: Number(parsed.draw), away: Number(parsed.away) };
}

export async function createEvent(db: Kysely<BetsDatabase>, body: CreateEventBody): Promise<Event> {
  const odds = oddsColumns(body.odds, 'odds');
  const row = await insertEvent(db, {
    id: randomUUID(),
    tournament: body.tournament.trim(),
    round: body.round.trim(),
    home_team: body.homeTeam.trim(),
    away_team: body.awayTeam.trim(),
    starts_at: new Date(body.startsAt),
    status: 'upcoming',
    score_home: null,
    score_away: null,
    result: null,
    odds_home: odds.home,
    odds_draw: odds.draw,
    odds_away: odds.away,
    settled_at: null,
  });
  return toEvent(row);
}

/**
 * Changes odds and/or status under the event's update lock, which waits for bets being placed
 * on it (they hold the share lock) so no bet commits at odds that were already replaced.
 */
export async function updateEventOddsOrStatus(db: Kysely<BetsDatabase>, id: string, body: UpdateEventBody): Promise<Event> {
  const odds = body.odds ? oddsColumns(body.odds, 'odds') : undefined;
  const row = await db.transaction().execute(async (trx) => {
    const event = await lockEventForUpdate(trx, id);
    if (!event) throw new LudicError('EVENT_NOT_FOUND', 'no such event');
    if (event.status === 'finished' || event.status === 'cancelled') {
      throw new LudicError(body.status ? 'INVALID_STATUS_TRANSITION' : 'EVENT_ALREADY_SETTLED', `the event is ${event.status}`);
    }
    let status: EventStatus = event.status;
    if (body.status) {
      const verdict = decideStatusChange(event.status, { kind: 'set', to: body.status }, { now: new Date(), startsAt: event.starts_at });
      if (!verdict.ok) throw new LudicError(verdict.code, verdict.message, { from: event.status, to: body.status });
      status = verdict.to;
    }
    return updateEvent(trx, id, { status, ...(odds ? { odds } : {}) });
  });
  return toEvent(row);
}

export async function getEvent(db: Kysely<BetsDatabase>, id: string): Promise<Event> {
  const row = await findEvent(db, id);
  if (!row) throw new LudicError('EVENT_NOT_FOUND', 'no such event');
  return toEvent(row);
}
