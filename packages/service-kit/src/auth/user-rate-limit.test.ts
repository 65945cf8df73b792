import t from 'tap';
import { testRedisUrl } from '@ludic/stack';
import { Redis } from 'ioredis';
import { UserRateLimiter, type UserRateLimitOptions } from './user-rate-limit.js';

const redis = new Redis(testRedisUrl(), { lazyConnect: true });
t.before(() => redis.connect());
t.teardown(() => redis.quit());

let run = 0;
/** Limiters of one "service" (a fresh key prefix per test) sharing the test Redis. */
function service(options: Omit<UserRateLimitOptions, 'keyPrefix'>, instances: number): { limiters: UserRateLimiter[]; prefix: string } {
  const prefix = `ludic:test:rate:${process.pid}:${++run}:`;
  const limiters = Array.from({ length: instances }, () => new UserRateLimiter(redis, { ...options, keyPrefix: prefix, flushMs: 60_000 }));
  t.teardown(() => limiters.forEach((limiter) => limiter.stop()));
  return { limiters, prefix };
}

const windowOf = (windowMs: number) => Math.floor(Date.now() / windowMs);

t.test('light users cost no Redis call per request: their counts arrive in one flush', async (t) => {
  const { limiters: [limiter], prefix } = service({ max: 1000, windowMs: 60_000 }, 1);
  const admissions = await Promise.all(Array.from({ length: 50 }, (_, i) => limiter!.admit(`user-${i % 5}`)));
  t.ok(admissions.every((admission) => admission.allowed), 'all admitted');
  const key = (user: string) => `${prefix}${windowOf(60_000)}:${user}`;
  t.equal(await redis.get(key('user-0')), null, 'nothing written to Redis yet');
  await limiter!.flush();
  t.same(await Promise.all([0, 1, 2, 3, 4].map((i) => redis.get(key(`user-${i}`)))), ['10', '10', '10', '10', '10'], 'one flush reports every user');
  t.ok((await redis.pttl(key('user-0'))) > 60_000, 'the key outlives its window');
});

t.test('the budget holds across instances, sequentially exact', async (t) => {
  const { limiters: [one, two] } = service({ max: 3, windowMs: 60_000 }, 2);
  const order = [one, two, one, two, one];
  const allowed = [];
  for (const limiter of order) allowed.push((await limiter!.admit('greedy')).allowed);
  t.same(allowed, [true, true, true, false, false]);
});

t.test('a concurrent burst through two instances gets the budget and at most its documented slack', async (t) => {
  const max = 200;
  const { limiters, prefix } = service({ max, windowMs: 60_000 }, 2);
  // The burst spans several flushes, as real traffic does.
  const admissions = [];
  for (let round = 0; round < 6; round++) {
    admissions.push(...(await Promise.all(Array.from({ length: 100 }, (_, i) => limiters[i % 2]!.admit('burst')))));
    await Promise.all(limiters.map((limiter) => limiter.flush()));
  }
  const allowed = admissions.filter((admission) => admission.allowed).length;
  t.ok(allowed >= max && allowed <= max * 1.1, `${allowed} of 600 admitted for a budget of ${max} (slack ≤ 10 % per other instance)`);
  const refused = admissions.find((admission) => !admission.allowed);
  t.ok(refused && !refused.allowed && refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000, 'refusals say when to retry');
  const counted = Number(await redis.get(`${prefix}${windowOf(60_000)}:burst`));
  t.ok(counted >= allowed && counted < 600, `Redis counted ${counted}: every admission, and not the refusals an instance could decide alone`);
});

t.test('a new window forgives', async (t) => {
  let now = 1_000_000_000_000;
  const { limiters: [limiter] } = service({ max: 2, windowMs: 1000, now: () => now }, 1);
  const first = [await limiter!.admit('u'), await limiter!.admit('u'), await limiter!.admit('u')];
  t.same(first.map((admission) => admission.allowed), [true, true, false]);
  t.same(first[2], { allowed: false, retryAfterMs: 1000 }, 'retry after the rest of the window');
  now += 1000;
  t.equal((await limiter!.admit('u')).allowed, true, 'admitted in the next window');
});

t.test('while Redis is unreachable each instance enforces the budget on its own', async (t) => {
  const offline = new Redis(testRedisUrl(), { lazyConnect: true, enableOfflineQueue: false });
  const limiter = new UserRateLimiter(offline, { max: 5, windowMs: 60_000, keyPrefix: `ludic:test:rate:offline:${process.pid}:` });
  t.teardown(() => limiter.stop());
  const allowed = [];
  for (let i = 0; i < 8; i++) allowed.push((await limiter.admit('u')).allowed);
  t.same(allowed, [true, true, true, true, true, false, false, false]);
  await limiter.flush();
  t.pass('flushing while offline neither throws nor loses the counts');
  t.equal((await limiter.admit('u')).allowed, false, 'still refused after the failed flush');
});
