import { Type } from '@sinclair/typebox';
import { ConfigError, createDatabase, loadConfig } from '@ludic/service-kit';
import type { BetsDatabase } from './db.js';
import { seedFixtures } from './fixtures.js';
import { SCHEMA } from './migrations/index.js';

/** `pnpm --filter @ludic/bets seed`: a slate of upcoming fixtures for the demo stack (idempotent). */
try {
  const { DATABASE_URL } = loadConfig(Type.Object({ DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }) }));
  const database = createDatabase<BetsDatabase>({ url: DATABASE_URL, schema: SCHEMA, poolSize: 1, statementTimeoutMs: 10_000, applicationName: 'bets-seed' });
  try {
    const added = await seedFixtures(database.db);
    process.stdout.write(added ? `bets: seeded ${added} upcoming fixtures\n` : 'bets: upcoming fixtures already on the board\n');
  } finally {
    await database.close();
  }
} catch (error) {
  process.stderr.write(`bets seed failed: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
  process.exitCode = 1;
}
