import t, { type Test } from 'tap';
import { createTestDatabase } from '@ludic/stack';
import { sql, type Transaction } from 'kysely';
import { createDatabase } from './database.js';
import { LudicError } from './errors.js';
import {
  claimIdempotencyKey,
  idempotencyFingerprint,
  idempotencyKeyOf,
  idempotencyStore,
  purgeExpiredIdempotencyRecords,
  runIdempotent,
  type IdempotentRequest,
} from './idempotency.js';

const SCHEMA = 'idem_test';

interface TestTables {
  counters: { user_id: string; value: number };
}

/** A private schema with a store table (the shape every service's migration creates) and a counter as the "effect". */
async function setup(t: Test) {
  const testDb = await createTestDatabase(t);
  const database = createDatabase<TestTables>({ url: testDb.url, schema: SCHEMA, poolSize: 8, statementTimeoutMs: 5000, applicationName: 'idem-test' });
  t.teardown(() => database.close());
  await sql`create schema ${sql.id(SCHEMA)}`.execute(database.db);
  await sql`create table ${sql.id(SCHEMA)}.idempotency_keys (
      user_id text not null, key text not null, fingerprint text not null,
      response_status integer not null, response_body jsonb not null,
      created_at timestamptz not null default now(), expires_at timestamptz not null,
      primary key (user_id, key))`.execute(database.db);
  await sql`create table ${sql.id(SCHEMA)}.counters (user_id text primary key, value integer not null)`.execute(database.db);
  const store = idempotencyStore({ schema: SCHEMA });
  const increment = async (trx: Transaction<TestTables>, userId: string, by: number) => {
    const row = await trx
      .insertInto('counters')
      .values({ user_id: userId, value: by })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ value: sql`counters.value + ${by}` }))
      .returning('value')
      .executeTakeFirstOrThrow();
    return { status: 201, body: { value: row.value } };
  };
  const counter = async (userId: string) =>
    (await database.db.selectFrom('counters').select('value').where('user_id', '=', userId).executeTakeFirst())?.value ?? 0;
  return { database, store, increment, counter };
}

const request = (over: Partial<IdempotentRequest> = {}): IdempotentRequest => ({
  userId: 'user_a',
  key: 'key-1',
  operation: 'POST /things',
  payload: { amount: '10.00' },
  ...over,
});

async function rejection(promise: Promise<unknown>): Promise<LudicError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LudicError) return error;
    throw error;
  }
  throw new Error('expected a LudicError');
}

t.test('the same key and body runs the effect once and replays the first response', async (t) => {
  const { database, store, increment, counter } = await setup(t);
  const first = await runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5));
  const second = await runIdempotent(database.db, store, request({ payload: { amount: '10.00' } }), (trx) => increment(trx, 'user_a', 5));
  t.same(first, { status: 201, body: { value: 5 }, replayed: false });
  t.same(second, { status: 201, body: { value: 5 }, replayed: true });
  t.equal(await counter('user_a'), 5, 'the effect ran once');
});

t.test('the same key with another body or operation is IDEMPOTENCY_KEY_REUSED', async (t) => {
  const { database, store, increment, counter } = await setup(t);
  await runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5));
  const otherBody = await rejection(runIdempotent(database.db, store, request({ payload: { amount: '11.00' } }), (trx) => increment(trx, 'user_a', 5)));
  t.equal(otherBody.code, 'IDEMPOTENCY_KEY_REUSED');
  t.equal(otherBody.statusCode, 409);
  const otherRoute = await rejection(runIdempotent(database.db, store, request({ operation: 'POST /other' }), (trx) => increment(trx, 'user_a', 5)));
  t.equal(otherRoute.code, 'IDEMPOTENCY_KEY_REUSED');
  t.equal(await counter('user_a'), 5);
});

t.test('keys are scoped to the user', async (t) => {
  const { database, store, increment, counter } = await setup(t);
  await runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5));
  const b = await runIdempotent(database.db, store, request({ userId: 'user_b', payload: { amount: '99.00' } }), (trx) => increment(trx, 'user_b', 7));
  t.same(b, { status: 201, body: { value: 7 }, replayed: false }, "another user's identical key is a new request");
  t.equal(await counter('user_a'), 5);
  t.equal(await counter('user_b'), 7);
});

t.test('a retry while the first attempt runs is IDEMPOTENCY_IN_PROGRESS, and replays once it committed', async (t) => {
  const { database, store, increment, counter } = await setup(t);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const first = runIdempotent(database.db, store, request(), async (trx) => {
    const result = await increment(trx, 'user_a', 5);
    started();
    await held;
    return result;
  });
  await running;
  const retry = await rejection(runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5)));
  t.equal(retry.code, 'IDEMPOTENCY_IN_PROGRESS');
  t.equal(retry.statusCode, 409);
  release();
  t.same(await first, { status: 201, body: { value: 5 }, replayed: false });
  const after = await runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5));
  t.same(after, { status: 201, body: { value: 5 }, replayed: true });
  t.equal(await counter('user_a'), 5);
});

t.test('50 concurrent requests with one key move exactly once; the rest replay or are told it is in progress', async (t) => {
  const { database, store, increment, counter } = await setup(t);
  const outcomes = await Promise.allSettled(
    Array.from({ length: 50 }, () => runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5))),
  );
  const fresh = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.replayed);
  t.equal(fresh.length, 1, 'one attempt performed the effect');
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') t.same(outcome.value.body, { value: 5 });
    else t.equal((outcome.reason as LudicError).code, 'IDEMPOTENCY_IN_PROGRESS');
  }
  t.equal(await counter('user_a'), 5);
});

t.test('a failed attempt leaves no record and no effect: a retry with the same key runs afresh', async (t) => {
  const { database, store, increment, counter } = await setup(t);
  const failed = await rejection(
    runIdempotent(database.db, store, request(), async (trx) => {
      await increment(trx, 'user_a', 5);
      throw new LudicError('INSUFFICIENT_FUNDS', 'not enough');
    }),
  );
  t.equal(failed.code, 'INSUFFICIENT_FUNDS');
  t.equal(await counter('user_a'), 0, 'the effect rolled back with the failure');
  const retry = await runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5));
  t.same(retry, { status: 201, body: { value: 5 }, replayed: false });
  t.equal(await counter('user_a'), 5);
});

t.test('records are kept for the retention period; expired ones free the key and are purged', async (t) => {
  const { database, store, increment } = await setup(t);
  await runIdempotent(database.db, store, request(), (trx) => increment(trx, 'user_a', 5));
  const kept = await sql<{ kept: boolean }>`
    select expires_at >= created_at + interval '24 hours' as kept from ${sql.id(SCHEMA)}.idempotency_keys`.execute(database.db);
  t.same(kept.rows, [{ kept: true }], 'kept at least 24 h');
  t.throws(() => idempotencyStore({ schema: SCHEMA, retentionSeconds: 3600 }), RangeError, 'a shorter retention is refused');

  await sql`update ${sql.id(SCHEMA)}.idempotency_keys set expires_at = now() - interval '1 second'`.execute(database.db);
  const after = await runIdempotent(database.db, store, request({ payload: { amount: '1.00' } }), (trx) => increment(trx, 'user_a', 1));
  t.same(after, { status: 201, body: { value: 6 }, replayed: false }, 'an expired key is a new request');

  await runIdempotent(database.db, store, request({ key: 'key-2' }), (trx) => increment(trx, 'user_a', 1));
  await sql`update ${sql.id(SCHEMA)}.idempotency_keys set expires_at = now() - interval '1 second' where key = 'key-2'`.execute(database.db);
  t.equal(await purgeExpiredIdempotencyRecords(database.db, store), 1, 'only the expired record is purged');
  const left = await sql<{ key: string }>`select key from ${sql.id(SCHEMA)}.idempotency_keys`.execute(database.db);
  t.same(left.rows.map((r) => r.key), ['key-1']);
});

t.test('claiming outside runIdempotent: a replay carries the stored status and body', async (t) => {
  const { database, store, increment } = await setup(t);
  await runIdempotent(database.db, store, request(), async (trx) => ({ ...(await increment(trx, 'user_a', 5)), status: 200 }));
  const claim = await database.db.transaction().execute((trx) => claimIdempotencyKey(trx as Transaction<unknown>, store, request()));
  t.same(claim, { replay: true, status: 200, body: { value: 5 } });
});

t.test('the fingerprint ignores key order, not values; the header is required', async (t) => {
  t.equal(
    idempotencyFingerprint({ operation: 'op', payload: { a: 1, b: { c: '2', d: [1, 2] } } }),
    idempotencyFingerprint({ operation: 'op', payload: { b: { d: [1, 2], c: '2' }, a: 1 } }),
  );
  t.not(idempotencyFingerprint({ operation: 'op', payload: { a: '1' } }), idempotencyFingerprint({ operation: 'op', payload: { a: 1 } }));
  t.not(idempotencyFingerprint({ operation: 'op', payload: [1, 2] }), idempotencyFingerprint({ operation: 'op', payload: [2, 1] }));
  const missing = (() => {
    try {
      idempotencyKeyOf({ headers: {} } as never);
    } catch (error) {
      return error as LudicError;
    }
    return undefined;
  })();
  t.equal(missing?.code, 'IDEMPOTENCY_KEY_REQUIRED');
  t.equal(missing?.statusCode, 400);
  t.equal(idempotencyKeyOf({ headers: { 'idempotency-key': 'abc' } } as never), 'abc');
});
