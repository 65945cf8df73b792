import type { Event, Selection } from '@ludic/contracts';
import type { MessageKey } from '../i18n/en';

export const selections: readonly Selection[] = ['home', 'draw', 'away'];

export const selectionShort: Record<Selection, MessageKey> = { home: 'events.home', draw: 'events.draw', away: 'events.away' };
export const selectionLong: Record<Selection, MessageKey> = { home: 'events.homeLong', draw: 'events.drawLong', away: 'events.awayLong' };

export function eventName(event: Pick<Event, 'homeTeam' | 'awayTeam'>): string {
  return `${event.homeTeam} — ${event.awayTeam}`;
}

/** Bets are taken only while upcoming and before kick-off (the server closes betting by itself then). */
export function isOpenForBets(event: Event, now = Date.now()): boolean {
  return event.status === 'upcoming' && Date.parse(event.startsAt) > now;
}
