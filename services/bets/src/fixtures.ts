import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { BetsDatabase, NewEventRow } from './db.js';

interface Fixture {
  tournament: string;
  round: string;
  home: string;
  away: string;
  /** Whole days from today and the UTC kick-off time. */
  day: number;
  kickOff: string;
  /** 1X2 odds in hundredths, priced with a bookmaker's margin of 5–7 %. */
  odds: [number, number, number];
}

/** A weekend of European football, for the demo stack. */
const SLATE: Fixture[] = [
  { tournament: 'Premier League', round: 'Matchday 14', home: 'Arsenal', away: 'Chelsea', day: 1, kickOff: '12:30', odds: [195, 360, 380] },
  { tournament: 'Premier League', round: 'Matchday 14', home: 'Liverpool', away: 'Manchester United', day: 1, kickOff: '15:00', odds: [165, 420, 480] },
  { tournament: 'Premier League', round: 'Matchday 14', home: 'Newcastle United', away: 'Aston Villa', day: 1, kickOff: '17:30', odds: [210, 350, 340] },
  { tournament: 'Premier League', round: 'Matchday 14', home: 'Manchester City', away: 'Tottenham Hotspur', day: 2, kickOff: '16:30', odds: [145, 500, 600] },
  { tournament: 'La Liga', round: 'Jornada 15', home: 'Real Madrid', away: 'Sevilla', day: 1, kickOff: '20:00', odds: [140, 480, 750] },
  { tournament: 'La Liga', round: 'Jornada 15', home: 'Atlético Madrid', away: 'Barcelona', day: 2, kickOff: '20:00', odds: [290, 330, 240] },
  { tournament: 'Serie A', round: 'Giornata 14', home: 'Inter', away: 'Juventus', day: 1, kickOff: '19:45', odds: [200, 330, 400] },
  { tournament: 'Serie A', round: 'Giornata 14', home: 'Napoli', away: 'AC Milan', day: 2, kickOff: '19:45', odds: [230, 320, 310] },
  { tournament: 'Bundesliga', round: 'Spieltag 13', home: 'Bayern München', away: 'Borussia Dortmund', day: 1, kickOff: '17:30', odds: [150, 480, 520] },
  { tournament: 'Bundesliga', round: 'Spieltag 13', home: 'Bayer Leverkusen', away: 'RB Leipzig', day: 2, kickOff: '14:30', odds: [190, 370, 370] },
  { tournament: 'Ligue 1', round: 'Journée 14', home: 'Paris Saint-Germain', away: 'Olympique de Marseille', day: 3, kickOff: '19:45', odds: [135, 520, 800] },
  { tournament: 'Russian Premier League', round: 'Tour 17', home: 'Zenit', away: 'Spartak Moscow', day: 3, kickOff: '16:30', odds: [170, 380, 480] },
];

export function fixtureRows(now: Date): NewEventRow[] {
  return SLATE.map((fixture) => {
    const [hours, minutes] = fixture.kickOff.split(':').map(Number) as [number, number];
    const startsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + fixture.day, hours, minutes));
    return {
      id: randomUUID(),
      tournament: fixture.tournament,
      round: fixture.round,
      home_team: fixture.home,
      away_team: fixture.away,
      starts_at: startsAt,
      status: 'upcoming',
      score_home: null,
      score_away: null,
      result: null,
      odds_home: fixture.odds[0],
      odds_draw: fixture.odds[1],
      odds_away: fixture.odds[2],
      settled_at: null,
    };
  });
}

/**
 * Puts a slate of upcoming fixtures on the board unless one is already there: running it
 * again (every `./scripts/up`) adds nothing while seeded or admin-made events are still
 * upcoming, and a fresh slate once they have all kicked off. Returns how many were added.
 */
export async function seedFixtures(db: Kysely<BetsDatabase>, now = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // Two seeders at once (two `up`s) must not both see an empty board.
    await sql`select pg_advisory_xact_lock(hashtextextended('bets.seed-fixtures', 0))`.execute(trx);
    const upcoming = await trx
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', '=', 'upcoming')
      .where('starts_at', '>', now)
      .executeTakeFirstOrThrow();
    if (Number(upcoming.n) > 0) return 0;
    const rows = fixtureRows(now);
    await trx.insertInto('events').values(rows).execute();
    return rows.length;
  });
}
