import { createHmac } from 'node:crypto';
import t, { type Test } from 'tap';
import { signingKeyFromJwk, signTestToken, generateSigningKey } from '@ludic/service-kit/testing';
import { DEMO_PLAYER, ensureAccount, startTestStack } from '@ludic/stack';

/**
 * The whole system through nginx, two instances of every service: what a client (or an
 * attacker) sees. One stack for the file: starting six instances is the expensive part.
 */

const userRoutes = ['/api/auth/me', '/api/wallet', '/api/bets'] as const;

t.test('through nginx, two instances of each service', async (t) => {
  const stack = await startTestStack(t, { instancesPerService: 2, env: { 'auth-gateway': { LOGIN_RATE_LIMIT_MAX: '5' } } });
  const call = async (base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    return { status: response.status, servedBy: response.headers.get('x-served-by'), retryAfter: response.headers.get('retry-after'), body: text ? JSON.parse(text) : undefined };
  };
  const register = async (t: Test, email: string) => {
    const res = await call(stack.url, '/api/auth/register', { method: 'POST', body: { email, password: 'password-one', name: 'Edge Player' } });
    t.equal(res.status, 201, `register ${email}`);
    return res.body as { token: string; refreshToken: string; user: { id: string } };
  };
  // Every instance directly, plus the edge: revocation must reach all of them.
  const everyInstance = Object.entries(stack.instances).flatMap(([service, instances]) =>
    instances.map((instance) => ({ service, url: instance.url, serverId: instance.serverId })),
  );
  const routeOf = (service: string) => (service === 'auth-gateway' ? '/api/auth/me' : service === 'wallet' ? '/api/wallet' : '/api/bets');

  await t.test('logout: every instance of every service refuses the session within a second', async (t) => {
    const session = await register(t, 'revoke@example.test');
    for (const { service, url, serverId } of everyInstance) {
      t.equal((await call(url, routeOf(service), { token: session.token })).status, 200, `${serverId} accepts the token before logout`);
    }
    const logout = await call(stack.url, '/api/auth/logout', { method: 'POST', token: session.token });
    t.equal(logout.status, 200);
    const loggedOutAt = Date.now();
    const pending = new Set(everyInstance.map((instance) => instance.serverId));
    while (pending.size > 0 && Date.now() - loggedOutAt < 1_000) {
      await Promise.all(
        everyInstance
          .filter(({ serverId }) => pending.has(serverId))
          .map(async ({ service, url, serverId }) => {
            if ((await call(url, routeOf(service), { token: session.token })).status === 401) pending.delete(serverId);
          }),
      );
    }
    t.same([...pending], [], `all six instances refuse it; last one after ${Date.now() - loggedOutAt} ms`);
    for (const path of userRoutes) t.equal((await call(stack.url, path, { token: session.token })).status, 401, `${path} through nginx`);
    const refresh = await call(stack.url, '/api/auth/refresh', { method: 'POST', body: { refreshToken: session.refreshToken } });
    t.equal(refresh.body.code, 'REFRESH_TOKEN_INVALID', 'and its refresh token');
  });

  await t.test('forged and stale tokens are 401 on all three services', async (t) => {
    const key = signingKeyFromJwk(stack.jwtPrivateJwk);
    const { token, claims } = signTestToken(key);
    for (const path of userRoutes) {
      const control = await call(stack.url, path, { token });
      t.equal(control.status, 200, `control: a token of the stack's key works on ${path}`);
    }
    const [header, , signature] = token.split('.') as [string, string, string];
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const hsInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64(claims)}`;
    const now = Math.floor(Date.now() / 1000);
    const forged: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT', kid: key.kid })}.${b64(claims)}.`,
      'HS256 signed with the public key': `${hsInput}.${createHmac('sha256', key.publicPem).update(hsInput).digest('base64url')}`,
      'a foreign key with the same kid': signTestToken(generateSigningKey(key.kid)).token,
      'a tampered payload': `${header}.${b64({ ...claims, role: 'admin', sub: 'someone-else' })}.${signature}`,
      'wrong issuer': signTestToken(key, { iss: 'not-ludic' }).token,
      'wrong audience': signTestToken(key, { aud: 'not-ludic' }).token,
      expired: signTestToken(key, { issuedAt: now - 2_000, expiresIn: 900 }).token,
      'not yet valid': signTestToken(key, { notBefore: 600 }).token,
    };
    for (const [name, bad] of Object.entries(forged)) {
      for (const path of userRoutes) {
        const res = await call(stack.url, path, { token: bad });
        t.equal(res.status, 401, `${name} on ${path}`);
        t.equal(res.body?.code, 'UNAUTHORIZED', `${name} on ${path}`);
      }
    }
    const admin = await call(stack.url, '/api/admin/events', { method: 'POST', token: forged['a tampered payload'], body: {} });
    t.equal(admin.status, 401, 'a tampered role never reaches an admin route');
  });

  await t.test('login brute force hits 429 across the two gateway instances', async (t) => {
    // Unique per run: the window outlives a test run in a Redis that is kept.
    const email = `brute-${Date.now().toString(36)}@example.test`;
    await register(t, email);
    const attempts = [];
    for (let i = 0; i < 7; i += 1) {
      attempts.push(await call(stack.url, '/api/auth/login', { method: 'POST', body: { email, password: `wrong-guess-${i}` } }));
    }
    t.same(attempts.map((a) => a.status), [401, 401, 401, 401, 401, 429, 429], 'the sixth attempt in the window is refused');
    t.equal(new Set(attempts.map((a) => a.servedBy)).size, 2, `both gateway instances answered (${attempts.map((a) => a.servedBy).join(', ')})`);
    t.equal(attempts[5]!.body.code, 'RATE_LIMITED');
    t.ok(Number(attempts[5]!.retryAfter) > 0, 'with Retry-After');
    const right = await call(stack.url, '/api/auth/login', { method: 'POST', body: { email, password: 'password-one' } });
    t.equal(right.status, 429, 'even the right password waits out the window');
  });

  await t.test('the ./scripts/up seed creates the admin and the demo player once, through the API', async (t) => {
    const logged: string[] = [];
    const context = { edgeUrl: stack.url, databaseUrl: stack.database.url, internalToken: stack.internalToken, adminEmail: stack.adminEmails, adminPassword: 'admin-password-1', log: (line: string) => logged.push(line) };
    for (let run = 0; run < 2; run += 1) {
      await ensureAccount(context, { email: context.adminEmail, password: context.adminPassword, name: 'Ludic Admin' });
      await ensureAccount(context, DEMO_PLAYER);
    }
    t.same(logged, [`${stack.adminEmails} created`, `${DEMO_PLAYER.email} created`, `${stack.adminEmails} exists`, `${DEMO_PLAYER.email} exists`]);
    const admin = await call(stack.url, '/api/auth/login', { method: 'POST', body: { email: stack.adminEmails, password: 'admin-password-1' } });
    t.equal(admin.body.user.role, 'admin', 'the admin from ADMIN_EMAILS');
    const player = await call(stack.url, '/api/auth/login', { method: 'POST', body: { email: DEMO_PLAYER.email, password: DEMO_PLAYER.password } });
    t.equal(player.body.user.role, 'player');
  });

  await t.test('bad bodies through nginx are 400 and store nothing', async (t) => {
    for (const body of [{ email: 'x@example.test' }, { email: 'no-at', password: 'password-one', name: 'X' }, { email: 'y@example.test', password: 'p'.repeat(100_000), name: 'X' }]) {
      const res = await call(stack.url, '/api/auth/register', { method: 'POST', body });
      t.ok(res.status === 400 || res.status === 413, `refused with ${res.status}`);
      t.ok(res.body?.code === 'VALIDATION_ERROR' || res.body?.code === 'PAYLOAD_TOO_LARGE', res.body?.code);
    }
    const login = await call(stack.url, '/api/auth/login', { method: 'POST', body: { email: 'y@example.test', password: 'password-one' } });
    t.equal(login.body.code, 'INVALID_CREDENTIALS', 'no account was created');
  });
});
