import t from 'tap';
import { createDatabase } from '@ludic/service-kit';
import { createTestDatabase } from '@ludic/stack';
import type { BetsDatabase } from './db.js';
import { seedFixtures } from './fixtures.js';
import { SCHEMA } from './migrations/index.js';

t.test('the fixture seed fills an empty board once and leaves it alone after', async (t) => {
  const testDb = await createTestDatabase(t);
  const database = createDatabase<BetsDatabase>({ url: testDb.url, schema: SCHEMA, poolSize: 2, statementTimeoutMs: 5000, applicationName: 'fixtures-test' });
  t.teardown(() => database.close());
  const now = new Date('2030-03-01T10:00:00Z');

  const [first, concurrent] = await Promise.all([seedFixtures(database.db, now), seedFixtures(database.db, now)]);
  t.equal(first + concurrent, 12, 'one slate, even from two seeders at once');
  t.equal(await seedFixtures(database.db, now), 0, 'running it again adds nothing');

  const events = await database.db.selectFrom('events').selectAll().execute();
  t.ok(events.every((event) => event.status === 'upcoming' && event.starts_at > now), 'all upcoming, all in the future');
  for (const event of events) {
    // A bookmaker's book: implied probabilities add up to a little over 100 %.
    const overround = 1 / (event.odds_home / 100) + 1 / (event.odds_draw / 100) + 1 / (event.odds_away / 100);
    t.ok(overround > 1 && overround < 1.1, `${event.home_team} — ${event.away_team}: margin ${((overround - 1) * 100).toFixed(1)} %`);
  }
  t.equal(await seedFixtures(database.db, new Date('2030-03-10T10:00:00Z')), 12, 'a fresh slate once the last one has kicked off');
});
