import type { Kysely } from 'kysely';
import type { BetsDatabase } from '../db.js';
import type { EventsCache } from '../events-cache.js';
import { startDueEvents } from '../repositories/events.js';

/**
 * Moves upcoming events whose kick-off has passed to live. Betting already closes at kick-off
 * by itself (placeBet checks the time); this makes the status say so too.
 */
export async function startKickedOffEvents(db: Kysely<BetsDatabase>, cache: EventsCache): Promise<number> {
  const started = await startDueEvents(db);
  if (started > 0) await cache.announceChange();
  return started;
}
