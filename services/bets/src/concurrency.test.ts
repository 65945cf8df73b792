import t from 'tap';
import { betBody, idempotencyHeaders, startBetsSystem } from '../test/harness.js';
import { assertAuditsPass } from '../test/audit.js';

t.test('concurrency, retries and moving odds', async (t) => {
  const system = await startBetsSystem(t);
  const second = await system.startBets();
  const admin = system.admin();

  await t.test('500 concurrent bets from a player who can afford 10: exactly 10 placed', async (t) => {
    const player = system.player();
    await system.fund(player, '100.00');
    const event = await system.createEvent();
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        system.call('POST', '/api/bets', {
          player,
          headers: idempotencyHeaders(),
          body: betBody(event, 'home', '10.00'),
          instance: i % 2 ? second : system.bets[0]!,
        }),
      ),
    );
    const byStatus = new Map<string, number>();
    for (const response of responses) {
      const key = `${response.status} ${response.body.code ?? ''}`.trim();
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    }
    t.equal(byStatus.get('201'), 10, `exactly 10 placed: ${JSON.stringify([...byStatus])}`);
    t.notOk([...byStatus.keys()].some((key) => key.startsWith('5') && !key.startsWith('503')), 'no server errors');
    t.equal(await system.balance(player), '0.00');
    const { rows } = await system.pool.query('select count(*)::int as n from bets.bets where user_id = $1', [player.userId]);
    t.equal(rows[0].n, 10);
  });

  await t.test('a retried request never places a second bet', async (t) => {
    const player = system.player();
    await system.fund(player, '100.00');
    const event = await system.createEvent();
    const headers = idempotencyHeaders();
    const body = betBody(event, 'away', '5.00');
    const first = await system.call('POST', '/api/bets', { player, headers, body });
    const retry = await system.call('POST', '/api/bets', { player, headers, body, instance: second });
    t.equal(first.status, 201);
    t.equal(retry.status, 201);
    t.same(retry.body, first.body, 'the first answer replayed');
    t.equal(retry.headers.get('idempotent-replayed'), 'true');
    const reused = await system.call('POST', '/api/bets', { player, headers, body: { ...body, amount: '6.00' } });
    t.equal(reused.status, 409);
    t.equal(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');
    // Another player's use of the same key is their own request.
    const other = system.player();
    await system.fund(other, '10.00');
    t.equal((await system.call('POST', '/api/bets', { player: other, headers, body })).status, 201);

    const concurrentKey = idempotencyHeaders();
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => system.call('POST', '/api/bets', { player, headers: concurrentKey, body, instance: i % 2 ? second : system.bets[0]! })),
    );
    const placed = burst.filter((response) => response.status === 201);
    t.ok(placed.length >= 1, 'the request went through');
    t.ok(placed.every((response) => response.body.id === placed[0]!.body.id), 'every success is the same bet');
    t.ok(
      burst.every((response) => response.status === 201 || response.body.code === 'IDEMPOTENCY_IN_PROGRESS'),
      'the others were told it is in progress',
    );
    const { rows } = await system.pool.query('select count(*)::int as n from bets.bets where user_id = $1', [player.userId]);
    t.equal(rows[0].n, 2, 'one bet per key');
    t.equal(await system.balance(player), '90.00');
  });

  await t.test('odds changed between the quote and the bet: 409 with the new odds, on every instance', async (t) => {
    const player = system.player();
    await system.fund(player, '10.00');
    const event = await system.createEvent({ odds: { home: '2.10', draw: '3.30', away: '3.60' } });
    t.equal((await system.call('GET', `/api/events/${event.id}`, { instance: second })).body.odds.home, '2.10', 'quoted (and cached) on the second instance');
    const changed = await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { odds: { home: '1.95', draw: '3.40', away: '3.90' } } });
    t.equal(changed.status, 200);
    const started = Date.now();
    let seen = '';
    while (seen !== '1.95' && Date.now() - started < 1000) {
      seen = (await system.call('GET', `/api/events/${event.id}`, { instance: second })).body.odds.home;
    }
    t.equal(seen, '1.95', `the second instance dropped its cache within a second (${Date.now() - started} ms)`);
    const listed = (await system.call('GET', '/api/events', { instance: second })).body.find((e: { id: string }) => e.id === event.id);
    t.equal(listed.odds.home, '1.95', 'the list too');

    const stale = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '5.00', '2.10') });
    t.equal(stale.status, 409);
    t.equal(stale.body.code, 'ODDS_CHANGED');
    t.same(stale.body.details.odds, { home: '1.95', draw: '3.40', away: '3.90' });
    const fresh = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '5.00', '1.95') });
    t.equal(fresh.status, 201);
    t.equal(fresh.body.potentialWin, '9.75');
  });

  await assertAuditsPass(t, system.databaseUrl);
});
