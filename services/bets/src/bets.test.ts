import t from 'tap';
import { betBody, idempotencyHeaders, startBetsSystem } from '../test/harness.js';

t.test('placing a bet: server-quoted odds, the stake debited once, the bet listed', async (t) => {
  const system = await startBetsSystem(t);
  const player = system.player('Alice');
  await system.fund(player, '100.00');
  const event = await system.createEvent({ odds: { home: '1.55', draw: '3.20', away: '2.80' } });

  const placed = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '10.07') });
  t.equal(placed.status, 201, JSON.stringify(placed.body));
  t.match(placed.body, { userId: player.userId, eventId: event.id, selection: 'home', odds: '1.55', amount: '10.07', potentialWin: '15.60', status: 'pending', result: null, settledAt: null });
  t.equal(placed.body.eventName, `${event.homeTeam} — ${event.awayTeam}`);
  t.equal(await system.balance(player), '89.93');

  const one = await system.call('GET', `/api/bets/${placed.body.id}`, { player });
  t.same(one.body, placed.body);
  const list = await system.call('GET', '/api/bets', { player });
  t.same(list.body, [placed.body]);
  const pending = await system.call('GET', '/api/bets?status=won', { player });
  t.same(pending.body, []);

  const stranger = system.player('Mallory');
  const theirs = await system.call('GET', `/api/bets/${placed.body.id}`, { player: stranger });
  t.equal(theirs.status, 404, "another user's bet is 404");
  t.equal(theirs.body.code, 'BET_NOT_FOUND');
  t.same((await system.call('GET', '/api/bets', { player: stranger })).body, []);
});

t.test('bad bets get a clear 4xx and take nothing', async (t) => {
  const system = await startBetsSystem(t);
  const player = system.player();
  await system.fund(player, '50.00');
  const event = await system.createEvent({ odds: { home: '2.50', draw: '15.00', away: '2.80' } });
  const place = (body: unknown, headers = idempotencyHeaders()) => system.call('POST', '/api/bets', { player, headers, body });

  const cases: Array<[string, unknown, number, string]> = [
    ['tampered odds', betBody(event, 'home', '10.00', '9.99'), 409, 'ODDS_CHANGED'],
    ['odds below 1.01', betBody(event, 'home', '10.00', '0.50'), 400, 'VALIDATION_ERROR'],
    ['negative stake', betBody(event, 'home', '-5.00'), 400, 'VALIDATION_ERROR'],
    ['fractional-cent stake', betBody(event, 'home', '1.005'), 400, 'VALIDATION_ERROR'],
    ['stake as a number', { ...betBody(event, 'home', '1.00'), amount: 1 }, 400, 'VALIDATION_ERROR'],
    ['unknown selection', { ...betBody(event, 'home', '1.00'), selection: 'over' }, 400, 'VALIDATION_ERROR'],
    ['unknown field', { ...betBody(event, 'home', '1.00'), bonus: true }, 400, 'VALIDATION_ERROR'],
    ['unknown event', { ...betBody(event, 'home', '1.00'), eventId: '00000000-0000-4000-8000-000000000000' }, 404, 'EVENT_NOT_FOUND'],
    ['stake too low', betBody(event, 'home', '0.99'), 422, 'STAKE_TOO_LOW'],
    ['stake too high', betBody(event, 'home', '10000.01'), 422, 'STAKE_TOO_HIGH'],
    ['payout too high', betBody(event, 'draw', '6666.67'), 422, 'PAYOUT_TOO_HIGH'],
    ['more than the balance', betBody(event, 'home', '50.01'), 422, 'INSUFFICIENT_FUNDS'],
  ];
  for (const [name, body, status, code] of cases) {
    const response = await place(body);
    t.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`);
    t.equal(response.body.code, code, name);
  }
  const changed = await place(betBody(event, 'away', '1.00', '2.00'));
  t.same(changed.body.details, { odds: event.odds, selection: 'away' }, 'ODDS_CHANGED carries the current odds');

  const missingKey = await system.call('POST', '/api/bets', { player, body: betBody(event, 'home', '1.00') });
  t.equal(missingKey.status, 400);
  t.equal(missingKey.body.code, 'IDEMPOTENCY_KEY_REQUIRED');
  const anonymous = await system.call('POST', '/api/bets', { headers: idempotencyHeaders(), body: betBody(event, 'home', '1.00') });
  t.equal(anonymous.status, 401);

  t.equal(await system.balance(player), '50.00', 'nothing was taken');
  const { rows } = await system.pool.query('select count(*)::int as n from bets.bets');
  t.equal(rows[0].n, 0, 'nothing was recorded');
});

t.test('only upcoming events before kick-off take bets', async (t) => {
  const system = await startBetsSystem(t);
  const admin = system.admin();
  const player = system.player();
  await system.fund(player, '50.00');
  const place = (event: { id: string; odds: { home: string } }) =>
    system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: { eventId: event.id, selection: 'home', odds: event.odds.home, amount: '1.00' } });

  const suspended = await system.createEvent();
  t.equal((await system.call('PATCH', `/api/admin/events/${suspended.id}`, { player: admin, body: { status: 'suspended' } })).status, 200);
  const cancelled = await system.createEvent();
  t.equal((await system.call('POST', `/api/admin/events/${cancelled.id}/cancel`, { player: admin })).status, 200);
  const finished = await system.createEvent();
  await system.call('PATCH', `/api/admin/events/${finished.id}`, { player: admin, body: { status: 'live' } });
  t.equal((await system.call('POST', `/api/admin/events/${finished.id}/settle`, { player: admin, body: { result: 'home', score: { home: 1, away: 0 } } })).status, 200);
  const kickedOff = await system.createEvent({ startsAt: new Date(Date.now() + 1500).toISOString() });

  for (const [name, event] of [['suspended', suspended], ['cancelled', cancelled], ['finished', finished]] as const) {
    const response = await place(event);
    t.equal(response.status, 409, name);
    t.equal(response.body.code, 'EVENT_NOT_OPEN', name);
  }
  t.equal((await place(kickedOff)).status, 201, 'open before kick-off');
  await new Promise((resolve) => setTimeout(resolve, 1600));
  const late = await place(kickedOff);
  t.equal(late.body.code, 'EVENT_NOT_OPEN', 'closed at kick-off by itself');
  let status = '';
  for (let i = 0; i < 50 && status !== 'live'; i++) {
    status = (await system.call('GET', `/api/events/${kickedOff.id}`)).body.status;
    if (status !== 'live') await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(status, 'live', 'the kick-off worker moved it to live');
});

t.test('admin routes: players get 403, the state machine gets 409', async (t) => {
  const system = await startBetsSystem(t);
  const admin = system.admin();
  const player = system.player();
  const event = await system.createEvent();
  const asPlayer = [
    system.call('POST', '/api/admin/events', { player, body: {} }),
    system.call('PATCH', `/api/admin/events/${event.id}`, { player, body: { status: 'suspended' } }),
    system.call('POST', `/api/admin/events/${event.id}/settle`, { player, body: { result: 'home' } }),
    system.call('POST', `/api/admin/events/${event.id}/cancel`, { player }),
  ];
  for (const response of await Promise.all(asPlayer)) {
    t.equal(response.status, 403);
    t.equal(response.body.code, 'FORBIDDEN');
  }
  t.equal((await system.call('POST', `/api/admin/events/${event.id}/cancel`)).status, 401, 'anonymous: 401');

  const early = await system.call('POST', `/api/admin/events/${event.id}/settle`, { player: admin, body: { result: 'home' } });
  t.equal(early.body.code, 'INVALID_STATUS_TRANSITION', 'no settlement before kick-off');
  await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { status: 'live' } });
  const back = await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { status: 'upcoming' } });
  t.equal(back.status, 409);
  t.equal(back.body.code, 'INVALID_STATUS_TRANSITION');
  const odds = await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { odds: { home: '1.90', draw: '3.00', away: '4.00' } } });
  t.equal(odds.status, 200);
  t.same(odds.body.odds, { home: '1.90', draw: '3.00', away: '4.00' });
  t.equal((await system.call('GET', `/api/events/${event.id}`)).body.odds.home, '1.90', 'the change is visible at once');
  await system.call('POST', `/api/admin/events/${event.id}/settle`, { player: admin, body: { result: 'away' } });
  const reopen = await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { status: 'upcoming' } });
  t.equal(reopen.body.code, 'INVALID_STATUS_TRANSITION', 'a finished event never reopens');
  const unknown = await system.call('PATCH', '/api/admin/events/00000000-0000-4000-8000-000000000000', { player: admin, body: { status: 'live' } });
  t.equal(unknown.status, 404);
});

t.test('event names: printable text only, refused with 400 before PostgreSQL sees it', async (t) => {
  const system = await startBetsSystem(t);
  const admin = system.admin();
  const startsAt = new Date(Date.now() + 24 * 3600_000).toISOString();
  const body = (names: Partial<Record<'tournament' | 'round' | 'homeTeam' | 'awayTeam', string>>) => ({
    tournament: 'Cup',
    round: 'Final',
    homeTeam: 'Home FC',
    awayTeam: 'Away FC',
    startsAt,
    odds: { home: '2.10', draw: '3.20', away: '3.50' },
    ...names,
  });
  const before = (await system.call('GET', '/api/events')).body.length;
  const bad: Array<[string, Record<string, string>]> = [
    ['NUL in a team', { awayTeam: '\u0000' }],
    ['NUL inside a tournament', { tournament: 'Cup\u0000 2026' }],
    ['a tab in a round', { round: 'Final\t' }],
    ['DEL in a team', { homeTeam: 'Home\u007f' }],
    ['a lone surrogate', { homeTeam: 'Home \ud83d' }],
    ['blank', { round: '   ' }],
    ['101 characters', { homeTeam: 'h'.repeat(101) }],
  ];
  for (const [what, names] of bad) {
    const response = await system.call('POST', '/api/admin/events', { player: admin, body: body(names) });
    t.equal(response.status, 400, what);
    t.equal(response.body.code, 'VALIDATION_ERROR', what);
  }
  t.equal((await system.call('GET', '/api/events')).body.length, before, 'nothing stored');
  const unicode = await system.call('POST', '/api/admin/events', { player: admin, body: body({ homeTeam: 'Ñúñez ⚽', awayTeam: '北京 国安 🏆', round: 'h'.repeat(100) }) });
  t.equal(unicode.status, 201, 'letters, emoji and 100 characters are fine');
  t.equal(unicode.body.awayTeam, '北京 国安 🏆');
});
