/**
 * Redis down, through nginx, with a Redis of this test's own (stopped, then started again on
 * the same port and files). The policy of decisions.md and services/auth-gateway/README.md:
 * access tokens keep working (revocations already known still hold), register/login/refresh/
 * logout answer 503 with Retry-After, admin routes fail closed, per-user budgets are kept by
 * each instance on its own counts, the events cache is bypassed, notifications are lost but
 * money is not. Afterwards everything recovers without restarting a service.
 */
import t from 'tap';
import { getFreePort } from './ports.js';
import { startRedis, type RedisServer } from './redis.js';
import { startTestStack, testDir } from './testkit.js';
import { waitFor } from './wait.js';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, any>;
}

t.test('Redis down: the documented degradation, no 5xx storm, recovery without restarts', async (t) => {
  const redisPort = await getFreePort();
  const redisDir = testDir('redis');
  let redis: RedisServer | undefined = await startRedis({ port: redisPort, dir: redisDir });
  t.teardown(async () => redis?.stop());
  const stack = await startTestStack(t, {
    redisUrl: redis.url,
    // A per-user budget small enough to see it bite, large enough for the rest of the test
    // (the gateway's: its user routes are the ones with a per-user limit today).
    env: { 'auth-gateway': { USER_RATE_LIMIT_MAX: '25' } },
  });
  const pids = Object.values(stack.instances).flat().map((instance) => instance.process.pid);

  const call = async (method: string, path: string, token?: string, body?: unknown, key?: string): Promise<Answer> => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };
  const password = 'redis-down-pass-1';
  const register = async (email: string) => {
    const answer = await call('POST', '/api/auth/register', undefined, { email, password, name: 'Redis Down' });
    t.equal(answer.status, 201, `register ${email}`);
    return answer.body as { token: string; refreshToken: string };
  };
  const minor = (amount: string) => BigInt(amount.replace('.', ''));

  const admin = await register(stack.adminEmails);
  const player = await register('redis-down-player@ludic.test');
  const limited = await register('redis-down-limited@ludic.test');
  const loggedOut = await register('redis-down-gone@ludic.test');
  t.equal((await call('POST', '/api/auth/logout', loggedOut.token)).status, 200, 'a session ended before the outage');
  const startsAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  const event = await call('POST', '/api/admin/events', admin.token, {
    tournament: 'Outage Cup', round: 'Final', homeTeam: 'Home', awayTeam: 'Away', startsAt, odds: { home: '2.00', draw: '3.00', away: '4.00' },
  });
  t.equal(event.status, 201, 'event');
  const opening = minor(String((await call('GET', '/api/wallet', player.token)).body.balance));

  await redis.stop();
  redis = undefined;
  const statuses: number[] = [];
  const during = async (method: string, path: string, token?: string, body?: unknown, key?: string) => {
    const answer = await call(method, path, token, body, key);
    statuses.push(answer.status);
    return answer;
  };

  await t.test('while Redis is down', async (t) => {
    for (const path of ['/api/auth/me', '/api/wallet', '/api/wallet/transactions', '/api/bets', '/api/events', `/api/events/${event.body.id}`, '/api/leaderboard']) {
      t.equal((await during('GET', path, player.token)).status, 200, `${path}: a valid token still works`);
    }
    t.equal((await during('GET', '/api/wallet', loggedOut.token)).status, 401, 'a revocation known before the outage still holds');

    for (const [path, body] of [
      ['/api/auth/register', { email: 'redis-down-new@ludic.test', password, name: 'New' }],
      ['/api/auth/login', { email: 'redis-down-player@ludic.test', password }],
      ['/api/auth/refresh', { refreshToken: player.refreshToken }],
    ] as const) {
      const answer = await during('POST', path, undefined, body);
      t.equal(answer.status, 503, `${path}: 503`);
      t.equal(answer.body.code, 'SERVICE_UNAVAILABLE', `${path}: SERVICE_UNAVAILABLE`);
      t.ok(answer.retryAfter, `${path}: Retry-After`);
    }
    const logout = await during('POST', '/api/auth/logout', player.token);
    t.equal(logout.status, 503, 'logout cannot be recorded: 503');
    t.equal((await during('GET', '/api/wallet', player.token)).status, 200, 'so the token keeps working until it expires');

    const createEvent = await during('POST', '/api/admin/events', admin.token, {
      tournament: 'Outage Cup', round: 'Never', homeTeam: 'Home', awayTeam: 'Away', startsAt, odds: { home: '2.00', draw: '3.00', away: '4.00' },
    });
    t.equal(createEvent.status, 503, 'admin routes fail closed');
    t.equal((await during('POST', `/api/admin/events/${event.body.id}/cancel`, admin.token)).status, 503, 'admin cancel too');

    const burst = await Promise.all(Array.from({ length: 40 }, () => during('GET', '/api/auth/me', limited.token)));
    t.same(
      [burst.filter((answer) => answer.status === 200).length, burst.filter((answer) => answer.status === 429).length],
      [25, 15],
      'the per-user budget is still kept, on the gateway instance\'s own counts: 40 requests over a budget of 25, 15 refused',
    );

    t.equal((await during('POST', '/api/wallet/deposit', player.token, { amount: '50.00' }, 'outage-deposit')).status, 201, 'a deposit works');
    const bet = await during('POST', '/api/bets', player.token, { eventId: event.body.id, selection: 'home', odds: '2.00', amount: '10.00' }, 'outage-bet');
    t.equal(bet.status, 201, 'a bet works (its notification is lost, its money is not)');
    const replay = await during('POST', '/api/bets', player.token, { eventId: event.body.id, selection: 'home', odds: '2.00', amount: '10.00' }, 'outage-bet');
    t.same([replay.status, replay.body.id], [201, bet.body.id], 'idempotency does not depend on Redis');

    t.same(statuses.filter((status) => status >= 500 && status !== 503), [], 'no 5xx but the documented 503s');
  });

  redis = await startRedis({ port: redisPort, dir: redisDir });

  await t.test('after Redis is back, without restarting anything', async (t) => {
    const login = await waitFor(
      async () => {
        const answer = await call('POST', '/api/auth/login', undefined, { email: 'redis-down-player@ludic.test', password });
        return answer.status === 200 ? answer : undefined;
      },
      { what: 'login after Redis is back', timeoutMs: 20_000 },
    );
    t.ok(login.body.token, 'login works again');
    const created = await waitFor(
      async () => {
        const answer = await call('POST', '/api/admin/events', admin.token, {
          tournament: 'Outage Cup', round: 'After', homeTeam: 'Home', awayTeam: 'Away', startsAt, odds: { home: '2.00', draw: '3.00', away: '4.00' },
        });
        return answer.status === 201 ? answer : undefined;
      },
      { what: 'an admin route after the revocation list is reloaded', timeoutMs: 20_000 },
    );
    t.equal(created.status, 201, 'admin routes work again');
    t.equal((await call('GET', '/api/wallet', loggedOut.token)).status, 401, 'the revocation survived the restart (AOF)');

    await waitFor(
      async () => {
        const budget = await Promise.all(Array.from({ length: 30 }, () => call('GET', '/api/auth/me', limited.token)));
        return budget.some((answer) => answer.status === 429);
      },
      { what: "the gateway's per-user limit enforced again", timeoutMs: 15_000 },
    );
    t.pass('rate limits are enforced again');

    t.equal((await call('PATCH', `/api/admin/events/${event.body.id}`, admin.token, { status: 'live' })).status, 200, 'kick-off');
    const settled = await call('POST', `/api/admin/events/${event.body.id}/settle`, admin.token, { result: 'home' });
    t.match(settled, { status: 200, body: { won: 1 } }, 'the outage bet is settled');
    const expected = opening + minor('50.00') - minor('10.00') + minor('20.00');
    await waitFor(
      async () => minor(String((await call('GET', '/api/wallet', player.token)).body.balance)) === expected,
      { what: `balance ${expected} (opening + deposit − stake + payout)`, timeoutMs: 20_000 },
    );
    t.pass('the balance is right: opening + deposit − stake + payout');
    t.same(Object.values(stack.instances).flat().map((instance) => instance.process.pid), pids, 'no instance was restarted');
    t.ok(Object.values(stack.instances).flat().every((instance) => instance.process.exitCode === null), 'and none exited');
  });
});
