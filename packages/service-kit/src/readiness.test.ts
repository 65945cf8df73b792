import path from 'node:path';
import t from 'tap';
import { getFreePort, startPostgres, testDir, testRedisUrl, waitFor } from '@ludic/stack';
import { createServiceApp } from './app.js';
import { BaseConfigSchema, loadConfig } from './config.js';
import { createDatabase } from './database.js';

// A PostgreSQL of its own: this test stops it, which must not disturb other test files.
t.test('/ready (and every request needing the database) is 503 while PostgreSQL is down and 200 again once it is back, without a restart', async (t) => {
  const dir = testDir('ready-pg');
  const port = await getFreePort();
  const postgres = await startPostgres({ dataDir: path.join(dir, 'data'), port, password: 'ready-test' });
  t.teardown(() => postgres.stop());

  const config = loadConfig(BaseConfigSchema, {
    PORT: '0',
    DATABASE_URL: postgres.url('postgres'),
    REDIS_URL: testRedisUrl(),
    READY_CHECK_TIMEOUT_MS: '500',
  });
  const database = createDatabase({ url: config.DATABASE_URL, schema: 'public', poolSize: 4, statementTimeoutMs: 2000, applicationName: 'ready-test' });
  const app = await createServiceApp({ service: 'wallet', config, database, logger: false });
  app.get('/one', async () => (await database.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute())[0]);
  t.teardown(() => app.close());

  const ready = async () => app.inject({ method: 'GET', url: '/ready' });
  // Warm the pool so the restart really breaks open connections.
  await Promise.all([1, 2, 3].map(() => database.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute()));
  t.equal((await ready()).statusCode, 200, 'ready while PostgreSQL runs');

  await postgres.stop();
  const down = await ready();
  t.equal(down.statusCode, 503, 'not ready while PostgreSQL is stopped');
  t.same(down.json(), { status: 'unavailable', checks: { postgres: 'down', redis: 'ok' } });
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'still alive meanwhile');
  const query = await app.inject({ method: 'GET', url: '/one' });
  t.equal(query.statusCode, 503, 'a request needing the database is a 503, not a 500');
  t.equal(query.json().code, 'SERVICE_UNAVAILABLE');
  t.equal(query.headers['retry-after'], '1', 'and says when to retry');

  await startPostgres({ dataDir: path.join(dir, 'data'), port, password: 'ready-test' });
  const back = await waitFor(async () => (await ready()).statusCode === 200, { what: '/ready to recover', timeoutMs: 10_000, intervalMs: 200 });
  t.ok(back, 'ready again after PostgreSQL restarts');
  const rows = await database.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
  t.same(rows, [{ one: 1 }], 'queries work again on the same pool');
});
