import t, { type Test } from 'tap';
import { betBody, idempotencyHeaders, startBetsSystem, type BetsSystem, type Player } from '../test/harness.js';
import { openStream } from '../test/sse.js';

async function placeOk(t: Test, system: BetsSystem, player: Player, body: unknown) {
  const response = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body });
  t.equal(response.status, 201, JSON.stringify(response.body));
  return response.body;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

t.test('settlement pays winners exactly once, notifies on another instance, feeds the leaderboard', async (t) => {
  const system = await startBetsSystem(t);
  const second = await system.startBets({ STREAM_KEEPALIVE_MS: '300' });
  const admin = system.admin();
  const alice = system.player('Alice');
  const bob = system.player('Bob');
  await system.fund(alice, '100.00');
  await system.fund(bob, '100.00');
  const event = await system.createEvent({ odds: { home: '1.55', draw: '3.20', away: '2.80' } });
  const aliceBet = await placeOk(t, system, alice, betBody(event, 'home', '10.07'));
  await placeOk(t, system, bob, betBody(event, 'away', '20.00'));

  // Alice's stream is on the second instance; the first instance settles.
  const stream = await openStream(`${second.url}/api/bets/stream`, alice.headers);
  t.teardown(() => stream.close());
  t.match(stream.comments, ['connected']);

  await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { status: 'live' } });
  const [first, again] = await Promise.all([
    system.call('POST', `/api/admin/events/${event.id}/settle`, { player: admin, body: { result: 'home', score: { home: 2, away: 1 } } }),
    system.call('POST', `/api/admin/events/${event.id}/settle`, { player: admin, body: { result: 'away' }, instance: second }),
  ]);
  const [ok, conflict] = first.status === 200 ? [first, again] : [again, first];
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.equal(conflict.status, 409, 'the concurrent settle is refused');
  t.equal(conflict.body.code, 'EVENT_ALREADY_SETTLED');
  const result = ok.body.event.result;
  t.equal(ok.body.event.status, 'finished');
  const later = await system.call('POST', `/api/admin/events/${event.id}/settle`, { player: admin, body: { result } });
  t.equal(later.body.code, 'EVENT_ALREADY_SETTLED', 'settling again is refused');
  const cancelLater = await system.call('POST', `/api/admin/events/${event.id}/cancel`, { player: admin });
  t.equal(cancelLater.body.code, 'EVENT_ALREADY_SETTLED', 'cancelling a settled event is refused');

  const aliceWon = result === 'home';
  const settled = await stream.waitFor((e) => e.event === 'bet.settled' && e.data.id === aliceBet.id);
  t.equal(settled.data.status, aliceWon ? 'won' : 'lost');
  const expectedAlice = aliceWon ? '105.53' : '89.93';
  const expectedBob = aliceWon ? '80.00' : '136.00';
  await eventually(async () => (await system.balance(alice)) === expectedAlice && (await system.balance(bob)) === expectedBob, 'payouts');
  if (aliceWon) {
    const update = await stream.waitFor((e) => e.event === 'wallet.updated' && e.data.balance === expectedAlice);
    t.ok(update, 'the wallet balance arrives on the same stream');
  }
  const bets = await system.call('GET', `/api/bets/${aliceBet.id}`, { player: alice });
  t.match(bets.body, { status: aliceWon ? 'won' : 'lost', result });
  t.ok(bets.body.settledAt);

  const { rows } = await system.pool.query("select count(*)::int as n from wallet.ledger_entries where reference like 'payout:%'");
  t.equal(rows[0].n, 1, 'exactly one payout');

  await eventually(async () => stream.comments.includes('keep-alive'), 'a keep-alive comment', 3_000);
  t.pass('idle streams get a comment line');

  const board = await system.call('GET', '/api/leaderboard');
  t.equal(board.status, 200);
  const winner = aliceWon ? { userId: alice.userId, name: 'Alice', profit: '5.53' } : { userId: bob.userId, name: 'Bob', profit: '36.00' };
  const loser = aliceWon ? { userId: bob.userId, name: 'Bob', profit: '-20.00' } : { userId: alice.userId, name: 'Alice', profit: '-10.07' };
  t.match(board.body.leaders, [
    { ...winner, totalBets: 1, wonBets: 1, winRate: 100 },
    { ...loser, totalBets: 1, wonBets: 0, winRate: 0 },
  ]);
});

t.test('cancellation refunds every stake exactly once; an interrupted outbox resumes', async (t) => {
  const system = await startBetsSystem(t);
  const admin = system.admin();
  const players = [system.player('P1'), system.player('P2'), system.player('P3')];
  for (const player of players) await system.fund(player, '30.00');
  const event = await system.createEvent();
  for (const player of players) await placeOk(t, system, player, betBody(event, 'draw', '12.50'));

  // The wallet is down while the event is cancelled: refunds wait in the outbox.
  await system.stopWallet();
  const cancelled = await system.call('POST', `/api/admin/events/${event.id}/cancel`, { player: admin });
  t.equal(cancelled.status, 200);
  t.equal(cancelled.body.voided, 3);
  t.equal(cancelled.body.event.status, 'cancelled');
  await new Promise((resolve) => setTimeout(resolve, 600));
  const { rows: waiting } = await system.pool.query('select count(*)::int as n, max(attempts) as attempts from bets.settlement_outbox where delivered_at is null');
  t.equal(waiting[0].n, 3, 'refunds wait for the wallet');
  t.ok(waiting[0].attempts >= 1, 'and were attempted');

  await system.startWallet();
  await eventually(async () => {
    const balances = await Promise.all(players.map((player) => system.balance(player)));
    return balances.every((balance) => balance === '30.00');
  }, 'refunds after the wallet is back', 15_000);
  const { rows } = await system.pool.query("select count(*)::int as n from wallet.ledger_entries where reference like 'refund:%'");
  t.equal(rows[0].n, 3, 'one refund per bet');
});

t.test('an event with more winners than one statement could carry parameters for settles in one go, one payout each', async (t) => {
  const system = await startBetsSystem(t);
  const admin = system.admin();
  const event = await system.createEvent();
  // 15,000 pending bets written straight into the table: 10,000 winners would need 70,000 bind
  // parameters as rows sent from the service (the protocol's limit is 65,535). They have no
  // stakes behind them, so the wallet stays down and the payouts only wait in the outbox.
  await system.stopWallet();
  await system.pool.query(
    `insert into bets.bets (id, user_id, user_name, event_id, event_name, selection, odds, amount, potential_win, status)
     select gen_random_uuid(), 'bulk-' || n, 'Bulk ' || n, $1, 'Bulk event', case when n % 3 = 0 then 'away' else 'home' end, 200, 100, 200, 'pending'
     from generate_series(1, 15000) as n`,
    [event.id],
  );
  await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { status: 'live' } });
  const settled = await system.call('POST', `/api/admin/events/${event.id}/settle`, { player: admin, body: { result: 'home' } });
  t.equal(settled.status, 200, JSON.stringify(settled.body));
  t.equal(settled.body.won, 10_000);
  t.equal(settled.body.lost, 5_000);
  const { rows } = await system.pool.query(
    `select count(*)::int as payouts, count(distinct o.bet_id)::int as bets, coalesce(sum(o.amount), 0)::text as total,
            count(*) filter (where o.reference <> 'payout:' || o.bet_id or o.kind <> 'payout' or o.amount <> b.potential_win or b.status <> 'won')::int as wrong
     from bets.settlement_outbox o join bets.bets b on b.id = o.bet_id where b.event_id = $1`,
    [event.id],
  );
  t.same(rows[0], { payouts: 10_000, bets: 10_000, total: '2000000', wrong: 0 }, 'one payout per winner, of its potential win, under its reference');
  const { rows: left } = await system.pool.query("select count(*)::int as n from bets.bets where event_id = $1 and status = 'pending'", [event.id]);
  t.equal(left[0].n, 0, 'no bet left pending');
});
