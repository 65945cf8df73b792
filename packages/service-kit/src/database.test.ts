import t from 'tap';
import pg from 'pg';
import { createTestDatabase } from '@ludic/stack';
import { createDatabase, isTransientDatabaseError } from './database.js';

// PostgreSQL restarting ends every backend with FATAL 57P01 ("terminating connection due to
// administrator command"), pg_terminate_backend does the same to one: a connection checked out
// between two statements of a transaction must fail its next statement, not crash the process.
t.test('a checked-out connection whose server goes away fails its next statement and the pool carries on', async (t) => {
  const testDatabase = await createTestDatabase(t);
  const database = createDatabase({ url: testDatabase.url, schema: 'public', poolSize: 2, statementTimeoutMs: 2000, applicationName: 'database-test' });
  t.teardown(() => database.close());
  const uncaught: Error[] = [];
  const onUncaught = (error: Error) => uncaught.push(error);
  // tap reports an uncaught exception as a failure of its own; counting it here names the cause.
  process.prependListener('uncaughtException', onUncaught);
  t.teardown(() => process.removeListener('uncaughtException', onUncaught));

  const client = await database.pool.connect();
  await client.query('begin');
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  const admin = new pg.Client({ connectionString: testDatabase.url });
  await admin.connect();
  t.teardown(() => admin.end());
  await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
  // The FATAL message arrives while no statement runs on the client: give it time to land.
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(uncaught, [], 'no uncaught error');

  const lost = await client.query('select 1').then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(lost instanceof Error, 'the next statement on the lost connection fails');
  t.ok(isTransientDatabaseError(lost), `and that failure is a 503, not a 500 (${(lost as Error).message})`);
  client.release();
  const again = await database.pool.query<{ one: number }>('select 1 as one');
  t.same(again.rows, [{ one: 1 }], 'the pool serves the next query on a fresh connection');
  t.equal(database.pool.totalCount, 1, 'the lost connection was dropped on release');
});
