import t, { type Test } from 'tap';
import { Type } from '@sinclair/typebox';
import { internalRoutes } from '@ludic/contracts';
import { contractRoute, createServiceApp } from './app.js';
import { BaseConfigSchema, loadConfig } from './config.js';
import { createDatabase } from './database.js';
import { LudicError } from './errors.js';

const env = {
  PORT: '0',
  DATABASE_URL: process.env.LUDIC_TEST_DATABASE_URL,
  REDIS_URL: process.env.LUDIC_TEST_REDIS_URL,
  BODY_LIMIT_BYTES: '2048',
  LOG_LEVEL: 'silent',
  SERVER_ID: 'kit-test-1',
};

async function buildTestApp(t: Test) {
  const config = loadConfig(BaseConfigSchema, env);
  const database = createDatabase({ url: config.DATABASE_URL, schema: 'public', poolSize: 2, statementTimeoutMs: 2000, applicationName: 'kit-test' });
  const app = await createServiceApp({ service: 'wallet', config, database, logger: false });
  // A real contract route, so validation runs exactly as in the services (made public here:
  // access control has its own tests in auth/access.test.ts).
  app.route({ ...contractRoute({ ...internalRoutes.debit, access: 'public' }), handler: async (request) => ({ entryId: '00000000-0000-4000-8000-000000000000', balance: request.body.amount }) });
  app.get('/boom', async () => {
    throw new Error('secret internals');
  });
  app.get('/statement-timeout', async () => {
    throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
  });
  app.get('/read-timeout', async () => {
    throw new Error('Query read timeout');
  });
  app.get('/refuse', async () => {
    throw new LudicError('INSUFFICIENT_FUNDS', 'not enough money', { balance: '1.00' });
  });
  t.teardown(() => app.close());
  return app;
}

const validDebit = { userId: 'user_1', amount: '10.00', reference: 'bet:abc' };

t.test('a valid request passes and carries request id and instance headers', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.inject({ method: 'POST', url: '/internal/wallet/debit', payload: validDebit, headers: { 'x-request-id': 'trace-123' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['x-request-id'], 'trace-123', 'a client request id is kept');
  t.equal(res.headers['x-served-by'], 'kit-test-1');
  const fresh = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id with spaces' } });
  t.match(fresh.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'a malformed request id is replaced');
  t.same(fresh.json(), { status: 'ok', service: 'wallet', serverId: 'kit-test-1' });
});

t.test('malformed JSON is a 400 VALIDATION_ERROR envelope', async (t) => {
  const app = await buildTestApp(t);
  for (const payload of ['{"userId": ', '{"a":1}}', 'nope', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {"x": 1}}}']) {
    const res = await app.inject({ method: 'POST', url: '/internal/wallet/debit', payload, headers: { 'content-type': 'application/json' } });
    t.equal(res.statusCode, 400, payload);
    t.match(res.json(), { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: String }, payload);
  }
});

t.test('schema failures name the fields and never coerce body types', async (t) => {
  const app = await buildTestApp(t);
  const cases: Array<[unknown, string]> = [
    [{ ...validDebit, amount: 10 }, 'body/amount'],
    [{ ...validDebit, amount: '1.001' }, 'body/amount'],
    [{ ...validDebit, amount: '1e3' }, 'body/amount'],
    [{ userId: 'user_1', amount: '1.00' }, 'body/reference'],
    [{ ...validDebit, extra: true }, 'body/extra'],
    [[], 'body'],
  ];
  for (const [payload, field] of cases) {
    const res = await app.inject({ method: 'POST', url: '/internal/wallet/debit', payload: payload as object });
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    const body = res.json();
    t.equal(body.code, 'VALIDATION_ERROR');
    t.ok(body.details.fields.some((f: { field: string }) => f.field.startsWith(field)), `${field} named in ${JSON.stringify(body.details)}`);
  }
});

t.test('an over-limit body is 413, an unsupported content type 415, an unknown route 404', async (t) => {
  const app = await buildTestApp(t);
  const big = await app.inject({ method: 'POST', url: '/internal/wallet/debit', payload: { ...validDebit, reference: 'x'.repeat(5000) } });
  t.equal(big.statusCode, 413);
  t.match(big.json(), { statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
    const res = await app.inject({ method: 'POST', url: '/internal/wallet/debit', payload: 'a=1', headers: { 'content-type': type } });
    t.equal(res.statusCode, 415, type);
    t.match(res.json(), { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }, type);
  }

  const missing = await app.inject({ method: 'GET', url: '/no/such/route?x=1' });
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'no route for GET /no/such/route' });
});

t.test('our errors keep their code and details; anything else is a 500 without internals', async (t) => {
  const app = await buildTestApp(t);
  const refused = await app.inject({ method: 'GET', url: '/refuse' });
  t.equal(refused.statusCode, 422);
  t.same(refused.json(), { statusCode: 422, code: 'INSUFFICIENT_FUNDS', error: 'Unprocessable Entity', message: 'not enough money', details: { balance: '1.00' } });
  const boom = await app.inject({ method: 'GET', url: '/boom' });
  t.equal(boom.statusCode, 500);
  t.equal(boom.json().code, 'INTERNAL_ERROR');
  t.notMatch(boom.body, /secret internals/, 'the message of an unexpected error is not shown');
  for (const url of ['/statement-timeout', '/read-timeout']) {
    const busy = await app.inject({ method: 'GET', url });
    t.equal(busy.statusCode, 503, `${url}: a database that could not answer is a 503 nginx may retry elsewhere`);
    t.equal(busy.json().code, 'SERVICE_UNAVAILABLE');
    t.equal(busy.headers['retry-after'], '1');
  }
});

t.test('/ready reports each dependency; /metrics speaks Prometheus', async (t) => {
  const app = await buildTestApp(t);
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  await app.inject({ method: 'GET', url: '/health' });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.body, /# TYPE http_request_duration_seconds histogram/);
  t.match(metrics.body, /process_cpu_user_seconds_total/);
});

t.test('config errors name the variable', async (t) => {
  const schema = Type.Object({ ...BaseConfigSchema.properties });
  t.throws(() => loadConfig(schema, { ...env, DATABASE_URL: undefined }), /DATABASE_URL is required/);
  t.throws(() => loadConfig(schema, { ...env, PORT: 'eighty' }), /PORT/);
  t.throws(() => loadConfig(schema, { ...env, REDIS_URL: 'http://nope' }), /REDIS_URL/);
});
