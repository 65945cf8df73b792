import t, { type Test } from 'tap';
import { PassThrough } from 'node:stream';
import type { FastifyServerOptions } from 'fastify';
import { loadConfig, loggerOptions } from '@ludic/service-kit';
import { bearer, generateSigningKey, signTestToken, tokenVerifyEnv } from '@ludic/service-kit/testing';
import path from 'node:path';
import { createTestDatabase, getFreePort, startRedis, testDir, testRedisUrl, waitFor } from '@ludic/stack';
import pg from 'pg';
import { buildApp } from './app.js';
import { AuthConfigSchema } from './config.js';
import { startPocketBaseTestDouble, type PocketBaseTestDouble } from './identity/pocketbase-test-double.js';

type Provider = 'builtin' | 'pocketbase';

async function buildGateway(t: Test, provider: Provider, env: Record<string, string> = {}, logger: FastifyServerOptions['logger'] = false) {
  const database = await createTestDatabase(t);
  const key = generateSigningKey();
  let pocketbase: PocketBaseTestDouble | undefined;
  if (provider === 'pocketbase') {
    pocketbase = await startPocketBaseTestDouble();
    t.teardown(() => pocketbase!.stop());
  }
  const config = loadConfig(AuthConfigSchema, {
    PORT: '0',
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    LOG_LEVEL: 'silent',
    ...tokenVerifyEnv(key),
    JWT_PRIVATE_JWK: JSON.stringify(key.privateJwk),
    ADMIN_EMAILS: 'Boss@Example.test, other@example.test',
    REGISTER_RATE_LIMIT_MAX: '100000',
    ...(pocketbase ? { POCKETBASE_URL: pocketbase.url } : {}),
    ...env,
  });
  const app = await buildApp(config, { logger });
  t.teardown(() => app.close());
  const countUsers = async () => {
    if (pocketbase) return pocketbase.users.size;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return Number((await client.query('select count(*) as n from auth.users')).rows[0].n);
    } finally {
      await client.end();
    }
  };
  return { app, key, pocketbase, countUsers };
}

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}@example.test`;

for (const provider of ['builtin', 'pocketbase'] as const) {
  t.test(`${provider}: register → me → login → refresh → logout`, async (t) => {
    const { app } = await buildGateway(t, provider);
    const email = unique('flow');
    const registered = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: `  ${email.toUpperCase()} `, password: 'correct horse 1', name: ' Ann ' } });
    t.equal(registered.statusCode, 201, registered.body);
    const session = registered.json();
    t.match(session, { token: String, refreshToken: String, expiresIn: 900, user: { id: String, email, name: 'Ann', role: 'player' } });

    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(session.token) });
    t.equal(me.statusCode, 200);
    t.same(me.json(), session.user);

    const claims = JSON.parse(Buffer.from(session.token.split('.')[1], 'base64url').toString());
    const header = JSON.parse(Buffer.from(session.token.split('.')[0], 'base64url').toString());
    t.match(header, { alg: 'EdDSA', kid: String });
    t.match(claims, { sub: session.user.id, email, name: 'Ann', role: 'player', sid: String, jti: String, iss: 'ludic-auth', aud: 'ludic' });
    t.equal(claims.exp - claims.iat, 900, 'access tokens live 15 minutes');
    const stored = `ludic:auth:session:${claims.sid}`;
    const ttlMs = await app.redis.pttl(stored);
    t.ok(ttlMs > 7 * 86_400_000 - 60_000 && ttlMs <= 7 * 86_400_000, `the session lives as long as its refresh token (${ttlMs} ms left)`);
    const fields = await app.redis.hgetall(stored);
    t.same(Object.keys(fields).sort(), ['refresh', 'user'], 'the session holds its user and one refresh hash');
    t.not(fields.refresh, session.refreshToken.split('.')[1], 'never the refresh token itself');

    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: email.toUpperCase(), password: 'correct horse 1' } });
    t.equal(login.statusCode, 200, 'login with any case of the email');
    t.same(login.json().user, session.user);

    const refreshed = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: session.refreshToken } });
    t.equal(refreshed.statusCode, 200);
    t.not(refreshed.json().refreshToken, session.refreshToken, 'a new refresh token');
    t.not(refreshed.json().token, session.token, 'a new access token');
    t.same(refreshed.json().user, session.user);

    const logout = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(refreshed.json().token) });
    t.equal(logout.statusCode, 200);
    t.same(logout.json(), { success: true });
    for (const token of [session.token, refreshed.json().token]) {
      const after = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
      t.equal(after.statusCode, 401, 'every access token of the session is refused after logout');
    }
    const refreshAfter = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: refreshed.json().refreshToken } });
    t.equal(refreshAfter.statusCode, 401);
    t.equal(refreshAfter.json().code, 'REFRESH_TOKEN_INVALID', 'its refresh token too');
    const other = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(login.json().token) });
    t.equal(other.statusCode, 200, 'the other session (the login) is untouched');
  });

  t.test(`${provider}: wrong password and unknown email give the same 401; duplicates 409`, async (t) => {
    const { app } = await buildGateway(t, provider);
    const email = unique('creds');
    t.equal((await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: 'password-one', name: 'Bo' } })).statusCode, 201);
    const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'password-two' } });
    const unknown = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: unique('nobody'), password: 'password-one' } });
    for (const res of [wrong, unknown]) {
      t.equal(res.statusCode, 401);
      t.equal(res.json().code, 'INVALID_CREDENTIALS');
    }
    t.equal(wrong.json().message, unknown.json().message, 'no hint which one was wrong');
    const again = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: email.toUpperCase(), password: 'password-3', name: 'Bo' } });
    t.equal(again.statusCode, 409);
    t.equal(again.json().code, 'EMAIL_TAKEN', 'emails are unique case-insensitively');
  });

  t.test(`${provider}: refresh tokens rotate; presenting a spent one ends the session`, async (t) => {
    const { app } = await buildGateway(t, provider);
    const email = unique('rotate');
    const first = (await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: 'password-one', name: 'Cy' } })).json();
    const second = (await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: first.refreshToken } })).json();
    const third = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: second.refreshToken } });
    t.equal(third.statusCode, 200, 'the new one works');
    const replay = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: first.refreshToken } });
    t.equal(replay.statusCode, 401);
    t.equal(replay.json().code, 'REFRESH_TOKEN_INVALID');
    const current = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: third.json().refreshToken } });
    t.equal(current.statusCode, 401, 'reuse revoked the whole session: its live refresh token is dead too');
    t.equal((await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(third.json().token) })).statusCode, 401, 'and its access tokens');
    for (const refreshToken of ['x'.repeat(20), `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.${'A'.repeat(43)}`]) {
      const forged = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
      t.equal(forged.json().code, 'REFRESH_TOKEN_INVALID', 'unknown refresh tokens are refused');
    }
  });

  t.test(`${provider}: concurrent refreshes with one token: exactly one wins`, async (t) => {
    const { app } = await buildGateway(t, provider);
    const first = (await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: unique('race'), password: 'password-one', name: 'Di' } })).json();
    const results = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: first.refreshToken } })));
    t.equal(results.filter((res) => res.statusCode === 200).length, 1, 'one rotation');
    t.equal(results.filter((res) => res.statusCode === 401).length, 4, 'the others are reuse');
  });

  t.test(`${provider}: role admin comes from ADMIN_EMAILS`, async (t) => {
    const { app } = await buildGateway(t, provider);
    const boss = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'BOSS@example.test', password: 'password-one', name: 'Boss' } });
    t.equal(boss.json().user.role, 'admin');
    const claims = JSON.parse(Buffer.from(boss.json().token.split('.')[1], 'base64url').toString());
    t.equal(claims.role, 'admin');
  });

  t.test(`${provider}: bad bodies are 400 and store nothing`, async (t) => {
    const { app, countUsers } = await buildGateway(t, provider, { BODY_LIMIT_BYTES: '10485760' });
    const before = await countUsers();
    const bodies: Record<string, unknown> = {
      'missing password': { email: unique('bad'), name: 'X' },
      'missing email': { password: 'password-one', name: 'X' },
      'missing name': { email: unique('bad'), password: 'password-one' },
      'number password': { email: unique('bad'), password: 12345678, name: 'X' },
      'array email': { email: [unique('bad')], password: 'password-one', name: 'X' },
      'email without @': { email: 'no-at-sign.example.test', password: 'password-one', name: 'X' },
      'short password': { email: unique('bad'), password: 'short', name: 'X' },
      '10 MB password': { email: unique('bad'), password: 'p'.repeat(10 * 1024 * 1024 - 200), name: 'X' },
      '72-character password': { email: unique('bad'), password: 'p'.repeat(72), name: 'X' },
      'blank name': { email: unique('bad'), password: 'password-one', name: '   ' },
      'long name': { email: unique('bad'), password: 'password-one', name: 'n'.repeat(101) },
      'NUL in the name': { email: unique('bad'), password: 'password-one', name: 'a\u0000b' },
      'a newline in the name': { email: unique('bad'), password: 'password-one', name: 'a\nb' },
      'a lone surrogate in the name': { email: unique('bad'), password: 'password-one', name: 'a\ud800b' },
      'NUL in the email': { email: `nul\u0000${unique('bad')}`, password: 'password-one', name: 'X' },
      'extra field': { email: unique('bad'), password: 'password-one', name: 'X', role: 'admin' },
      'not an object': ['email', 'password'],
    };
    for (const [name, payload] of Object.entries(bodies)) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/register', payload: payload as object });
      t.equal(res.statusCode, 400, name);
      t.equal(res.json().code, 'VALIDATION_ERROR', name);
    }
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody', password: 'password-one' } });
    t.equal(login.statusCode, 400, 'login validates too');
    const nulLogin = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nul\u0000@example.test', password: 'password-one' } });
    t.equal(nulLogin.statusCode, 400, 'login refuses NUL in the email before any lookup');
    t.equal(await countUsers(), before, 'nothing stored');
    const unicode = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: unique('ünï'), password: 'пароль-密码-🔑🔑', name: 'Zoë 李 ⚽🏆' } });
    t.equal(unicode.statusCode, 201, 'unicode passwords and names are fine');
    const relog = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: unicode.json().user.email, password: 'пароль-密码-🔑🔑' } });
    t.equal(relog.statusCode, 200, 'and log in again');
    t.equal(relog.json().user.name, 'Zoë 李 ⚽🏆');
  });

  t.test(`${provider}: Redis down → register/login/refresh/logout 503, never a 500; back → works`, async (t) => {
    const dir = testDir('gateway-redis');
    const port = await getFreePort();
    const start = () => startRedis({ port, dir: path.join(dir, 'data'), logFile: path.join(dir, 'redis.log') });
    let redis = await start();
    t.teardown(() => redis.stop());
    const { app, countUsers } = await buildGateway(t, provider, { REDIS_URL: redis.url });
    const session = (await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: unique('outage'), password: 'password-one', name: 'X' } })).json();
    const before = await countUsers();
    await redis.stop();
    for (const [url, payload] of [
      ['/api/auth/register', { email: unique('down'), password: 'password-one', name: 'X' }],
      ['/api/auth/login', { email: session.user.email, password: 'password-one' }],
      ['/api/auth/refresh', { refreshToken: session.refreshToken }],
    ] as const) {
      const res = await app.inject({ method: 'POST', url, payload });
      t.equal(res.statusCode, 503, url);
      t.equal(res.json().code, 'SERVICE_UNAVAILABLE', url);
    }
    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(session.token) });
    t.equal(me.statusCode, 200, 'validly signed access tokens keep working during the outage');
    const logout = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(session.token) });
    t.equal(logout.statusCode, 503, 'a logout that cannot be recorded says so');
    t.equal(await countUsers(), before, 'no user created while sessions cannot be stored');
    redis = await start();
    const back = await waitFor(async () => (await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: session.refreshToken } })).statusCode === 200, {
      what: 'refresh to work again', timeoutMs: 10_000, intervalMs: 100,
    });
    t.ok(back, 'sessions survive the outage (Redis persists them) and work again');
  });
}

t.test('pocketbase: down or slow → 503 IDENTITY_UNAVAILABLE within the timeout, nothing half-done', async (t) => {
  const { app, pocketbase } = await buildGateway(t, 'pocketbase', { POCKETBASE_TIMEOUT_MS: '500' });
  pocketbase!.delayMs = 5_000;
  let started = Date.now();
  const slow = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: unique('slow'), password: 'password-one' } });
  t.equal(slow.statusCode, 503);
  t.equal(slow.json().code, 'IDENTITY_UNAVAILABLE');
  t.ok(Date.now() - started < 1_500, `answered after ${Date.now() - started} ms (timeout 500 ms)`);
  pocketbase!.delayMs = 0;
  await pocketbase!.stop();
  started = Date.now();
  for (const [url, payload] of [
    ['/api/auth/login', { email: unique('down'), password: 'password-one' }],
    ['/api/auth/register', { email: unique('down'), password: 'password-one', name: 'X' }],
  ] as const) {
    const res = await app.inject({ method: 'POST', url, payload });
    t.equal(res.statusCode, 503, url);
    t.equal(res.json().code, 'IDENTITY_UNAVAILABLE', url);
    t.ok(res.headers['retry-after'], 'with Retry-After');
  }
  t.ok(Date.now() - started < 1_500, 'a dead PocketBase answers fast');
});

t.test('pocketbase: a role field set by a superuser makes an admin; guests cannot set it', async (t) => {
  const { app, pocketbase } = await buildGateway(t, 'pocketbase');
  const email = unique('pbadmin');
  await pocketbase!.addUser({ email, password: 'password-one', name: 'Root', role: 'admin' });
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'password-one' } });
  t.equal(login.json().user.role, 'admin');
});

t.test('access tokens of a foreign key, or expired, are refused by the gateway itself', async (t) => {
  const { app, key } = await buildGateway(t, 'builtin');
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(signTestToken(key).token) })).statusCode, 200, 'control: its own key');
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(signTestToken(generateSigningKey(key.kid)).token) })).statusCode, 401);
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/logout' })).statusCode, 401, 'logout needs a token');
});

t.test('login attempts are limited per IP and email: 429 RATE_LIMITED with Retry-After', async (t) => {
  const { app } = await buildGateway(t, 'builtin', { LOGIN_RATE_LIMIT_MAX: '3' });
  const email = unique('brute');
  const statuses = [];
  for (let i = 0; i < 4; i += 1) {
    statuses.push((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: `guess-${i}-xx` } })).statusCode);
  }
  t.same(statuses, [401, 401, 401, 429]);
  const limited = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'guess-xx-yy' } });
  t.equal(limited.json().code, 'RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0);
  const otherEmail = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: unique('innocent'), password: 'guess-xx-yy' } });
  t.equal(otherEmail.statusCode, 401, 'another account from the same IP is not locked out');
});

t.test('secrets never reach the logs, even at trace level', async (t) => {
  const stream = new PassThrough();
  let logs = '';
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const { app } = await buildGateway(t, 'builtin', { LOGIN_RATE_LIMIT_MAX: '2' }, { ...loggerOptions({ level: 'trace', service: 'auth-gateway', serverId: 'log-test' }), stream });
  const email = unique('logs');
  const password = 'very-secret-password-1';
  const session = (await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password, name: 'Lo' } })).json();
  const refreshed = (await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: session.refreshToken } })).json();
  await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(refreshed.token) });
  for (let i = 0; i < 3; i += 1) await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: `${password}-wrong` } });
  await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: session.refreshToken } });
  await app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(refreshed.token) });
  await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(refreshed.token) });
  t.ok(logs.length > 1000, 'requests were logged');
  for (const secret of [password, session.token, session.refreshToken, refreshed.token, refreshed.refreshToken, session.refreshToken.split('.')[1]]) {
    t.notOk(logs.includes(secret), `${secret.slice(0, 12)}… is not in the logs`);
  }
});
