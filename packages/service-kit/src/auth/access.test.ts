import { createHmac } from 'node:crypto';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Type } from '@sinclair/typebox';
import type { RouteContract } from '@ludic/contracts';
import { getFreePort, startRedis, testDir, testRedisUrl, waitFor } from '@ludic/stack';
import { Redis } from 'ioredis';
import { contractRoute, createServiceApp, type ServiceApp } from '../app.js';
import { BaseConfigSchema, loadConfig } from '../config.js';
import { createDatabase } from '../database.js';
import { TokenVerifyConfig } from './config.js';
import { revokeSession } from './revocation.js';
import { bearer, generateSigningKey, signTestToken, tokenVerifyEnv, type TestSigningKey } from './testing.js';

const INTERNAL_TOKEN = 'internal-token-for-access-tests-0123456789';
const Echo = Type.Object({ sub: Type.String(), role: Type.String(), sid: Type.String() }, { additionalProperties: false });
const probe = (url: string, access: RouteContract['access']): RouteContract<{ response: { 200: typeof Echo } }> => ({
  service: 'wallet', method: 'GET', url, access, summary: `${access} probe`, schema: { response: { 200: Echo } },
});

async function buildApp(t: Test, keys: TestSigningKey[], options: { redisUrl?: string; userRateLimit?: { max: number; windowMs: number } } = {}): Promise<ServiceApp> {
  const config = loadConfig(Type.Object({ ...BaseConfigSchema.properties, ...TokenVerifyConfig }), {
    PORT: '0',
    DATABASE_URL: process.env.LUDIC_TEST_DATABASE_URL,
    REDIS_URL: options.redisUrl ?? testRedisUrl(),
    LOG_LEVEL: 'silent',
    ...tokenVerifyEnv(keys),
  });
  const database = createDatabase({ url: config.DATABASE_URL, schema: 'public', poolSize: 1, statementTimeoutMs: 2000, applicationName: 'access-test' });
  const app = await createServiceApp({ service: 'wallet', config, database, logger: false, access: { tokens: config, internalToken: INTERNAL_TOKEN, userRateLimit: options.userRateLimit } });
  const echo = async (request: { user: { sub: string; role: string; sid: string } }) => ({ sub: request.user.sub, role: request.user.role, sid: request.user.sid });
  app.route({ ...contractRoute(probe('/user', 'user')), handler: echo });
  app.route({ ...contractRoute(probe('/admin', 'admin')), handler: echo });
  app.route({ ...contractRoute(probe('/service', 'service')), handler: async () => ({ sub: 'service', role: 'service', sid: '-' }) });
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

t.test('user routes accept a valid token and expose its claims as request.user', async (t) => {
  const key = generateSigningKey();
  const app = await buildApp(t, [key]);
  const { token, claims } = signTestToken(key, { role: 'player' });
  const res = await app.inject({ method: 'GET', url: '/user', headers: bearer(token) });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { sub: claims.sub, role: 'player', sid: claims.sid });
  const lower = await app.inject({ method: 'GET', url: '/user', headers: { authorization: `bearer ${token}` } });
  t.equal(lower.statusCode, 200, 'the scheme is case-insensitive');
});

t.test('forged, foreign, malformed and stale tokens are 401 UNAUTHORIZED', async (t) => {
  const key = generateSigningKey();
  const foreign = generateSigningKey(key.kid);
  const app = await buildApp(t, [key]);
  const { token, claims } = signTestToken(key);
  const [header, , signature] = token.split('.') as [string, string, string];
  const unsigned = (h: object, p: object) => `${b64(h)}.${b64(p)}`;
  const hs256 = (() => {
    const input = unsigned({ alg: 'HS256', typ: 'JWT', kid: key.kid }, claims);
    return `${input}.${createHmac('sha256', key.publicPem).update(input).digest('base64url')}`;
  })();
  const cases: Record<string, string | undefined> = {
    'no header': undefined,
    'not bearer': `Basic ${Buffer.from('a:b').toString('base64')}`,
    'bearer without token': 'Bearer ',
    'garbage': 'Bearer not.a.jwt',
    'alg none': `Bearer ${unsigned({ alg: 'none', typ: 'JWT', kid: key.kid }, claims)}.`,
    'alg none with a signature': `Bearer ${unsigned({ alg: 'none', kid: key.kid }, claims)}.${signature}`,
    'HS256 signed with the public key': `Bearer ${hs256}`,
    'signed by a foreign key with the same kid': `Bearer ${signTestToken(foreign, { sub: claims.sub }).token}`,
    'unknown kid': `Bearer ${signTestToken(generateSigningKey('someone-else')).token}`,
    'tampered payload': `Bearer ${header}.${b64({ ...claims, role: 'admin' })}.${signature}`,
    'payload swapped in from another token': `Bearer ${header}.${signTestToken(key).token.split('.')[1]}.${signature}`,
    'wrong issuer': `Bearer ${signTestToken(key, { iss: 'evil' }).token}`,
    'wrong audience': `Bearer ${signTestToken(key, { aud: 'other-app' }).token}`,
    'expired': `Bearer ${signTestToken(key, { issuedAt: Math.floor(Date.now() / 1000) - 1000, expiresIn: 900 }).token}`,
    'not yet valid': `Bearer ${signTestToken(key, { notBefore: 600 }).token}`,
    'unknown role': `Bearer ${signTestToken(key, { role: 'root' as 'admin' }).token}`,
    'no kid header': `Bearer ${unsigned({ alg: 'EdDSA' }, claims)}.${signature}`,
  };
  for (const [name, authorization] of Object.entries(cases)) {
    for (const url of ['/user', '/admin']) {
      const res = await app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });
      t.equal(res.statusCode, 401, `${name} on ${url}`);
      t.equal(res.json().code, 'UNAUTHORIZED', name);
    }
  }
});

t.test('admin routes demand role admin (403 otherwise)', async (t) => {
  const key = generateSigningKey();
  const app = await buildApp(t, [key]);
  const player = await app.inject({ method: 'GET', url: '/admin', headers: bearer(signTestToken(key, { role: 'player' }).token) });
  t.equal(player.statusCode, 403);
  t.equal(player.json().code, 'FORBIDDEN');
  const admin = await app.inject({ method: 'GET', url: '/admin', headers: bearer(signTestToken(key, { role: 'admin' }).token) });
  t.equal(admin.statusCode, 200);
});

t.test('service routes demand the internal token', async (t) => {
  const key = generateSigningKey();
  const app = await buildApp(t, [key]);
  for (const headers of [{}, { 'x-internal-token': 'wrong' }, { 'x-internal-token': `${INTERNAL_TOKEN}x` }, bearer(signTestToken(key, { role: 'admin' }).token)]) {
    const res = await app.inject({ method: 'GET', url: '/service', headers });
    t.equal(res.statusCode, 401, JSON.stringify(Object.keys(headers)));
    t.equal(res.json().code, 'UNAUTHORIZED');
  }
  t.equal((await app.inject({ method: 'GET', url: '/service', headers: { 'x-internal-token': INTERNAL_TOKEN } })).statusCode, 200);
});

t.test('rotation: tokens of every configured kid verify, so a new key can go live without downtime', async (t) => {
  const [old, next] = [generateSigningKey('2024-a'), generateSigningKey('2024-b')];
  const app = await buildApp(t, [old, next]);
  for (const key of [old, next]) {
    t.equal((await app.inject({ method: 'GET', url: '/user', headers: bearer(signTestToken(key).token) })).statusCode, 200, key.kid);
  }
});

t.test('a route whose access cannot be enforced fails at start, not at request time', async (t) => {
  const config = loadConfig(BaseConfigSchema, { PORT: '0', DATABASE_URL: process.env.LUDIC_TEST_DATABASE_URL, REDIS_URL: testRedisUrl() });
  const database = createDatabase({ url: config.DATABASE_URL, schema: 'public', poolSize: 1, statementTimeoutMs: 2000, applicationName: 'access-test' });
  const app = await createServiceApp({ service: 'wallet', config, database, logger: false });
  t.teardown(() => app.close());
  t.throws(() => app.route({ ...contractRoute(probe('/user', 'user')), handler: async () => ({ sub: '', role: '', sid: '' }) }), /needs access tokens verified/);
  t.throws(() => app.route({ ...contractRoute(probe('/service', 'service')), handler: async () => ({ sub: '', role: '', sid: '' }) }), /service route/);
});

t.test('a revoked session is refused by every instance within a second', async (t) => {
  const key = generateSigningKey();
  const apps = [await buildApp(t, [key]), await buildApp(t, [key])];
  const redis = new Redis(testRedisUrl());
  t.teardown(() => redis.quit());
  const { token, claims } = signTestToken(key);
  const other = signTestToken(key, { sub: claims.sub });
  for (const app of apps) t.equal((await app.inject({ method: 'GET', url: '/user', headers: bearer(token) })).statusCode, 200, 'accepted before logout');

  const revokedAt = Date.now();
  await revokeSession(redis, claims.sid, claims.exp * 1000);
  for (const [i, app] of apps.entries()) {
    const refused = await waitFor(async () => (await app.inject({ method: 'GET', url: '/user', headers: bearer(token) })).statusCode === 401, {
      what: `instance ${i + 1} to refuse the revoked session`, timeoutMs: 1000, intervalMs: 10,
    });
    t.ok(refused, `instance ${i + 1} refuses it`);
    t.equal((await app.inject({ method: 'GET', url: '/user', headers: bearer(other.token) })).statusCode, 200, 'another session of the same user still works');
  }
  t.ok(Date.now() - revokedAt < 1000, `refused everywhere after ${Date.now() - revokedAt} ms`);

  const late = await buildApp(t, [key]);
  t.equal((await late.inject({ method: 'GET', url: '/user', headers: bearer(token) })).statusCode, 401, 'an instance started later loads the revocation from Redis');
});

t.test('Redis outage: tokens keep working, admin routes fail closed, revocations made meanwhile apply after reconnect', async (t) => {
  const dir = testDir('access-redis');
  const port = await getFreePort();
  const start = () => startRedis({ port, dir: path.join(dir, 'data'), logFile: path.join(dir, 'redis.log') });
  let server = await start();
  t.teardown(() => server.stop());
  const key = generateSigningKey();
  const app = await buildApp(t, [key], { redisUrl: server.url });
  const player = signTestToken(key);
  const admin = signTestToken(key, { role: 'admin' });
  t.equal((await app.inject({ method: 'GET', url: '/admin', headers: bearer(admin.token) })).statusCode, 200, 'admin works while Redis is up');

  await server.stop();
  await waitFor(async () => (await app.inject({ method: 'GET', url: '/admin', headers: bearer(admin.token) })).statusCode === 503, {
    what: 'admin routes to fail closed', timeoutMs: 5000, intervalMs: 50,
  });
  const refused = await app.inject({ method: 'GET', url: '/admin', headers: bearer(admin.token) });
  t.equal(refused.json().code, 'SERVICE_UNAVAILABLE', 'admin route refused while revocations cannot be confirmed');
  t.equal((await app.inject({ method: 'GET', url: '/user', headers: bearer(player.token) })).statusCode, 200, 'user routes stay available');

  // The revocation lands in Redis while this instance is cut off (it misses the publish).
  server = await start();
  const writer = new Redis(server.url);
  t.teardown(() => writer.quit());
  await revokeSession(writer, player.claims.sid, player.claims.exp * 1000);
  const applied = await waitFor(async () => (await app.inject({ method: 'GET', url: '/user', headers: bearer(player.token) })).statusCode === 401, {
    what: 'the reconnect to reload the revocation list', timeoutMs: 10_000, intervalMs: 50,
  });
  t.ok(applied, 'the revocation made during the outage applies after reconnect');
  t.equal((await app.inject({ method: 'GET', url: '/admin', headers: bearer(admin.token) })).statusCode, 200, 'admin routes work again');
});

t.test('the per-user API limit holds across instances and routes: 429 RATE_LIMITED with Retry-After', async (t) => {
  const key = generateSigningKey();
  const limit = { max: 3, windowMs: 60_000 };
  const [one, two] = [await buildApp(t, [key], { userRateLimit: limit }), await buildApp(t, [key], { userRateLimit: limit })];
  const greedy = signTestToken(key, { role: 'admin' }).token;
  const statuses = [];
  for (const [app, url] of [[one, '/user'], [two, '/admin'], [one, '/admin'], [two, '/user']] as const) {
    statuses.push((await app.inject({ method: 'GET', url, headers: bearer(greedy) })).statusCode);
  }
  t.same(statuses, [200, 200, 200, 429], 'the fourth request of the window is refused, whichever instance and route');
  const refused = await one.inject({ method: 'GET', url: '/user', headers: bearer(greedy) });
  t.equal(refused.json().code, 'RATE_LIMITED');
  t.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 60, `Retry-After ${refused.headers['retry-after']}`);
  t.equal((await one.inject({ method: 'GET', url: '/user', headers: bearer(signTestToken(key).token) })).statusCode, 200, 'another user is not affected');
  t.equal((await one.inject({ method: 'GET', url: '/user' })).statusCode, 401, 'anonymous requests are refused before counting');
});

t.test('a remembered token stops working when it expires, and a tampered copy of it is not remembered', async (t) => {
  const key = generateSigningKey();
  const app = await buildApp(t, [key]);
  const { token } = signTestToken(key, { expiresIn: 2 });
  t.equal((await app.inject({ method: 'GET', url: '/user', headers: bearer(token) })).statusCode, 200, 'verified and remembered');
  t.equal((await app.inject({ method: 'GET', url: '/user', headers: bearer(token) })).statusCode, 200, 'served from memory');
  const [header, payload, signature] = token.split('.');
  const forged = `${header}.${b64({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' })}.${signature}`;
  t.equal((await app.inject({ method: 'GET', url: '/admin', headers: bearer(forged) })).statusCode, 401, 'another text is verified afresh');
  // Past exp plus the configured clock tolerance (5 s by default).
  await new Promise((resolve) => setTimeout(resolve, 7_200));
  t.equal((await app.inject({ method: 'GET', url: '/user', headers: bearer(token) })).statusCode, 401, 'refused once expired');
});
