import t from 'tap';
import pg from 'pg';
import { createTestDatabase } from '@ludic/stack';
import { sql } from 'kysely';
import { createDatabase, isTransientDatabaseError, preparedQuery } from './database.js';

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

t.test('a statement marked by preparedQuery is prepared once per connection; others stay unnamed', async (t) => {
  const testDatabase = await createTestDatabase(t);
  const database = createDatabase({ url: testDatabase.url, schema: 'public', poolSize: 1, statementTimeoutMs: 2000, applicationName: 'database-test' });
  t.teardown(() => database.close());
  const marked = 'select $1::int + 1 as next, pg_backend_pid() as pid';
  const plain = 'select $1::int + 2 as next';
  const prepared = async () =>
    (await database.db.executeQuery(sql`select statement from pg_prepared_statements order by statement`.compile(database.db))).rows.map(
      (row) => (row as { statement: string }).statement,
    );

  const first = await database.db.executeQuery(preparedQuery<{ next: number; pid: number }>(marked, [41]));
  t.equal(first.rows[0]!.next, 42);
  await database.db.executeQuery(preparedQuery(plain.replace('2', '3'), [1]));
  await database.db.transaction().execute(async (trx) => {
    const again = await trx.executeQuery(preparedQuery<{ next: number; pid: number }>(marked, [1]));
    t.equal(again.rows[0]!.next, 2, 'bound afresh inside a transaction');
    t.equal(again.rows[0]!.pid, first.rows[0]!.pid, 'on the same (only) connection');
  });
  await database.pool.query(plain, [1]);
  t.same(await prepared(), [marked, plain.replace('2', '3')], 'each marked statement prepared once, the unmarked one not at all');

  // A new connection (the old one lost) prepares it again on first use.
  const { rows } = await database.pool.query<{ pid: number }>('select pg_backend_pid() as pid');
  await database.pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const fresh = await database.db.executeQuery(preparedQuery<{ next: number; pid: number }>(marked, [9]));
  t.equal(fresh.rows[0]!.next, 10, 'works on a fresh connection');
  t.not(fresh.rows[0]!.pid, first.rows[0]!.pid);
  t.same(await prepared(), [marked], 'prepared there again');
});

t.test('DATABASE_PREPARED_STATEMENTS=false (PgBouncer before 1.21): marked statements go out unnamed', async (t) => {
  const testDatabase = await createTestDatabase(t);
  const database = createDatabase({ url: testDatabase.url, schema: 'public', poolSize: 1, statementTimeoutMs: 2000, applicationName: 'database-test', preparedStatements: false });
  t.teardown(() => database.close());
  const marked = 'select $1::int * 2 as twice';
  for (const n of [1, 2, 3]) t.equal((await database.db.executeQuery(preparedQuery<{ twice: number }>(marked, [n]))).rows[0]!.twice, 2 * n);
  const { rows } = await database.pool.query('select count(*)::int as n from pg_prepared_statements');
  t.equal(rows[0].n, 0, 'nothing prepared on the connection');
});
