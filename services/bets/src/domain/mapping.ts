import { formatMoney, formatOdds, type Bet, type Event } from '@ludic/contracts';
import type { BetRow, EventRow } from '../db.js';

/** The API's view of an event row: camelCase, odds as decimal strings. */
export function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    tournament: row.tournament,
    round: row.round,
    homeTeam: row.home_team,
    awayTeam: row.away_team,
    startsAt: row.starts_at.toISOString(),
    status: row.status,
    score: row.score_home === null || row.score_away === null ? null : { home: row.score_home, away: row.score_away },
    odds: {
      home: formatOdds(BigInt(row.odds_home)),
      draw: formatOdds(BigInt(row.odds_draw)),
      away: formatOdds(BigInt(row.odds_away)),
    },
    result: row.result,
  };
}

/** The API's view of a bet row. */
export function toBet(row: BetRow): Bet {
  return {
    id: row.id,
    userId: row.user_id,
    eventId: row.event_id,
    eventName: row.event_name,
    selection: row.selection,
    odds: formatOdds(BigInt(row.odds)),
    amount: formatMoney(row.amount),
    potentialWin: formatMoney(row.potential_win),
    status: row.status,
    result: row.result,
    createdAt: row.created_at.toISOString(),
    settledAt: row.settled_at ? row.settled_at.toISOString() : null,
  };
}

/** How a bet names its event, frozen when the bet is placed. */
export function eventName(row: Pick<EventRow, 'home_team' | 'away_team'>): string {
  return `${row.home_team} — ${row.away_team}`;
}

/** The quoted odds of one selection, in hundredths. */
export function oddsOf(row: Pick<EventRow, 'odds_home' | 'odds_draw' | 'odds_away'>, selection: 'home' | 'draw' | 'away'): bigint {
  const bySelection = { home: row.odds_home, draw: row.odds_draw, away: row.odds_away };
  return BigInt(bySelection[selection]);
}
