import { testRedisUrl } from '@ludic/stack';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { startWallet, type WalletHarness } from '../test/helpers.js';
import { buildApp } from './app.js';
import { BalanceCache, FILL_WINDOW_MS } from './balance-cache.js';
import { findWalletWithVersion } from './repository.js';

const TTL_MS = 1000;
const silent = { debug() {}, warn() {} } as never;

/** Two instances of the wallet on one database and one Redis, as in production. */
async function twoInstances(t: Test): Promise<{ w: WalletHarness; second: WalletHarness['app'] }> {
  const w = await startWallet(t);
  const second = await buildApp(w.config, { logger: false });
  await second.ready();
  t.teardown(() => second.close());
  return { w, second };
}

const balanceOf = async (app: WalletHarness['app'], headers: Record<string, string>) => {
  const res = await app.inject({ method: 'GET', url: '/api/wallet', headers });
  if (res.statusCode !== 200) throw new Error(`GET /api/wallet answered ${res.statusCode}: ${res.body}`);
  return res.json().balance as string;
};

const namespaceOf = (w: WalletHarness) => new URL(w.config.DATABASE_URL).pathname.slice(1);

const redis = new Redis(testRedisUrl());
t.teardown(() => redis.quit());

t.test('a balance read is served from Redis until a movement; then never the old one', async (t) => {
  const { w, second } = await twoInstances(t);
  const player = w.player();
  t.equal(await balanceOf(w.app, player.headers), '1000.00', 'first read opens the wallet');
  t.equal(await balanceOf(w.app, player.headers), '1000.00', 'second read fills the cache');

  // Behind the cache's back (never done by the service): proves the next answer is the cached one.
  await w.direct.db.updateTable('wallets').set({ balance: sql`balance + 1` }).where('user_id', '=', player.userId).execute();
  const cached = await redis.hget(`ludic:wallet:${namespaceOf(w)}:cache:${player.userId}`, 'body');
  t.match(JSON.parse(cached!), { userId: player.userId, balance: '1000.00' }, 'the answer is in Redis');
  const res = await second.inject({ method: 'GET', url: '/api/wallet', headers: player.headers });
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  t.same(res.json(), JSON.parse(cached!), 'and another instance serves it as it is');
  await w.direct.db.updateTable('wallets').set({ balance: sql`balance - 1` }).where('user_id', '=', player.userId).execute();

  // Every kind of movement, each made on the other instance from the one that reads.
  const movements: [string, () => Promise<unknown>, string][] = [
    ['debit', () => w.internal('POST', '/internal/wallet/debit', { userId: player.userId, amount: '10.00', reference: 'bet:c1' }), '990.00'],
    ['credit', () => w.internal('POST', '/internal/wallet/credit', { userId: player.userId, amount: '5.00', reference: 'payout:c1', type: 'bet_payout' }), '995.00'],
    ['void', () => w.internal('POST', '/internal/wallet/void', { reference: 'bet:c1' }), '1005.00'],
    ['deposit', () => w.app.inject({ method: 'POST', url: '/api/wallet/deposit', headers: { ...player.headers, 'idempotency-key': 'dep-c1' }, payload: { amount: '20.00' } }), '1025.00'],
  ];
  for (const [what, move, expected] of movements) {
    await balanceOf(second, player.headers);
    await balanceOf(second, player.headers);
    await move();
    t.equal(await balanceOf(second, player.headers), expected, `after a ${what}: the new balance at once`);
  }
  await w.assertAudit(t);
});

t.test('a read taken before a movement cannot cache its old answer after it', async (t) => {
  const { w } = await twoInstances(t);
  const player = w.player();
  await balanceOf(w.app, player.headers);
  const cache = new BalanceCache(redis, silent, { ttlMs: TTL_MS, namespace: namespaceOf(w) });

  // A reader misses and reads the database ...
  const ticket = await cache.read(player.userId);
  t.ok('ticket' in ticket, 'a miss gives a ticket');
  const before = (await findWalletWithVersion(w.direct.db, player.userId))!;
  // ... a debit commits and is answered meanwhile ...
  await w.internal('POST', '/internal/wallet/debit', { userId: player.userId, amount: '1.00', reference: 'bet:race' });
  // ... then the slow reader offers what it read.
  cache.fill(player.userId, (ticket as { ticket: number }).ticket, before.version!, JSON.stringify({ balance: '1000.00' }));
  await redis.ping();
  t.equal(await balanceOf(w.app, player.headers), '999.00', 'refused: its version is below the movement\'s');
});

t.test('a movement in flight keeps reads on the database; a crashed one until its mark expires', async (t) => {
  const { w } = await twoInstances(t);
  const player = w.player();
  await balanceOf(w.app, player.headers);
  await balanceOf(w.app, player.headers);
  const cache = new BalanceCache(redis, silent, { ttlMs: TTL_MS, namespace: namespaceOf(w) });
  const mark = await cache.mark(player.userId);
  t.ok(mark.marked);
  // The "movement" commits and its process dies before finishing.
  await w.direct.db.updateTable('wallets').set({ balance: sql`balance - 100` }).where('user_id', '=', player.userId).execute();
  t.equal(await balanceOf(w.app, player.headers), '999.00', 'the cached answer was dropped by the mark');
  t.equal(await balanceOf(w.app, player.headers), '999.00', 'and nothing is cached while the mark lives');
  const ticket = (await cache.read(player.userId)) as { ticket: number };
  const row = (await findWalletWithVersion(w.direct.db, player.userId))!;
  cache.fill(player.userId, ticket.ticket, row.version!, '{"during":"mark"}');
  await redis.ping();
  t.ok('ticket' in (await cache.read(player.userId)), 'a fill while the mark lives is refused');
  await cache.finish(player.userId, mark, undefined);
  const next = (await cache.read(player.userId)) as { ticket: number };
  cache.fill(player.userId, next.ticket, row.version!, '{"after":"mark"}');
  await redis.ping();
  t.same(await cache.read(player.userId), { hit: '{"after":"mark"}' }, 'cacheable again once the mark ends');
});

t.test("a movement's scripts leave at once; reads still share the auto-pipeline", async (t) => {
  const w = await startWallet(t);
  const player = w.player();
  // On the service's own Redis client, which the app configured.
  const cache = new BalanceCache(w.app.redis, silent, { ttlMs: TTL_MS, namespace: namespaceOf(w) });
  const marking = cache.mark(player.userId);
  t.equal(w.app.redis.autoPipelineQueueSize, 0, 'the mark is written, not queued for the next auto-pipeline');
  const mark = await marking;
  t.ok(mark.marked);
  const finishing = cache.finish(player.userId, mark, undefined);
  t.equal(w.app.redis.autoPipelineQueueSize, 0, 'so is the finish');
  await finishing;
  const reading = cache.read(player.userId);
  t.equal(w.app.redis.autoPipelineQueueSize, 1, 'a read waits for the auto-pipeline');
  t.ok('ticket' in (await reading));
});

t.test('a fill must land soon after its ticket', async (t) => {
  const { w } = await twoInstances(t);
  const player = w.player();
  await balanceOf(w.app, player.headers);
  const cache = new BalanceCache(redis, silent, { ttlMs: TTL_MS, namespace: namespaceOf(w) });
  const ticket = (await cache.read(player.userId)) as { ticket: number };
  const row = (await findWalletWithVersion(w.direct.db, player.userId))!;
  await new Promise((resolve) => setTimeout(resolve, FILL_WINDOW_MS + 50));
  cache.fill(player.userId, ticket.ticket, row.version!, '{"late":true}');
  await redis.ping();
  t.ok('ticket' in (await cache.read(player.userId)), 'a late fill is refused');
});

t.test('a movement Redis cannot hear answers only after every cached answer before it has expired', async (t) => {
  const { w } = await twoInstances(t);
  const player = w.player();
  await balanceOf(w.app, player.headers);
  t.equal(await balanceOf(w.app, player.headers), '1000.00', 'cached');
  const unreachable = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
  const cut = new BalanceCache(unreachable, silent, { ttlMs: TTL_MS, namespace: namespaceOf(w) });
  const started = Date.now();
  await cut.move(player.userId, async () => {
    const wallet = (await w.direct.db.updateTable('wallets').set({ balance: sql`balance - 100` }).where('user_id', '=', player.userId).returningAll().executeTakeFirst())!;
    const entry = { entry_no: 1n } as never;
    return { userId: player.userId, entry, balance: wallet.balance, moved: true };
  }, (movement) => movement);
  t.ok(Date.now() - started >= TTL_MS + FILL_WINDOW_MS, `answered after ${Date.now() - started} ms`);
  t.equal(await balanceOf(w.app, player.headers), '999.00', 'no client can read the old balance after the answer');
});

t.test('concurrent debits and reads on two instances: a read after an answered debit never shows more', async (t) => {
  const { w, second } = await twoInstances(t);
  const player = w.player();
  const apps = [w.app, second];
  await balanceOf(w.app, player.headers);
  const minor = (text: string) => Math.round(Number(text) * 100);
  let violations = 0;
  let reads = 0;
  // Background readers keep the cache warm and racing.
  let running = true;
  const readers = apps.map(async (app) => {
    while (running) {
      await balanceOf(app, player.headers);
      reads++;
    }
  });
  await Promise.all(
    Array.from({ length: 4 }, async (_, lane) => {
      for (let i = 0; i < 25; i++) {
        const res = await apps[(lane + i) % 2]!.inject({
          method: 'POST', url: '/internal/wallet/debit', headers: w.service, payload: { userId: player.userId, amount: '1.00', reference: `bet:${lane}:${i}` },
        });
        const after = minor(res.json().balance);
        for (const app of apps) if (minor(await balanceOf(app, player.headers)) > after) violations++;
      }
    }),
  );
  running = false;
  await Promise.all(readers);
  t.equal(violations, 0, `0 stale reads after 100 answered debits (${reads} background reads)`);
  t.equal(await balanceOf(w.app, player.headers), '900.00');
  await w.assertAudit(t);
});
