import t from 'tap';
import { betBody, idempotencyHeaders, startBetsSystem, type BetsSystem, type Player } from '../test/harness.js';
import { assertAuditsPass, runAudit } from '../test/audit.js';
import { startSlowProxy } from '../test/slow-proxy.js';

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

async function betCount(system: BetsSystem, player: Player): Promise<number> {
  const { rows } = await system.pool.query('select count(*)::int as n from bets.bets where user_id = $1', [player.userId]);
  return rows[0].n;
}

t.test('the crash windows of placing a bet: each forced, each repaired, the audits pass', async (t) => {
  // The first instance's reconciler waits an hour, so the orphan below stays until a
  // reconciling instance is started on purpose.
  const system = await startBetsSystem(t, { firstBetsEnv: { RECONCILE_AFTER_MS: '3600000' } });
  const event = await system.createEvent();

  await t.test('the process dies between the debit and the commit: the reconciler voids the orphan', async (t) => {
    const dying = await system.startBets({ LUDIC_FAULT: 'exit-after-debit' });
    const player = system.player();
    await system.fund(player, '50.00');
    const crashed = await system
      .call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '10.00'), instance: dying })
      .then(() => 'answered', () => 'connection lost');
    t.equal(crashed, 'connection lost', 'the instance died mid-request');
    t.equal(await system.balance(player), '40.00', 'the debit happened');
    t.equal(await betCount(system, player), 0, 'the bet never committed');

    const crashedAt = Date.now();
    const before = await runAudit(system.databaseUrl);
    t.equal(before.code, 1, 'the audit sees the orphan debit');
    t.match(before.output, /FAIL debit-has-bet-or-void/);

    // A reconciling instance (RECONCILE_AFTER_MS 5 s) voids it once it is old enough.
    await system.startBets();
    await eventually(async () => (await system.balance(player)) === '50.00', 'the reconciler', 30_000);
    const tookMs = Date.now() - crashedAt;
    t.ok(tookMs < 30_000, `voided within 30 s of the crash (${tookMs} ms)`);
    await assertAuditsPass(t, system.databaseUrl);
  });

  await t.test('the commit fails after the debit: the debit is voided at once, 503', async (t) => {
    const failing = await system.startBets({ LUDIC_FAULT: 'fail-commit-after-debit' });
    const player = system.player();
    await system.fund(player, '50.00');
    const response = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '10.00'), instance: failing });
    t.equal(response.status, 503, JSON.stringify(response.body));
    t.equal(response.body.code, 'SERVICE_UNAVAILABLE');
    t.equal(await system.balance(player), '50.00', 'voided before answering');
    t.equal(await betCount(system, player), 0);
    const { rows } = await system.pool.query("select type from wallet.ledger_entries e join wallet.wallets w on w.id = e.wallet_id where w.user_id = $1 and e.type like 'bet_stake%' order by entry_no", [player.userId]);
    t.same(rows.map((row) => row.type), ['bet_stake', 'bet_stake_reversal']);
    await failing.stop();
  });

  await t.test('the wallet answers too late: 503 WALLET_UNAVAILABLE and the late debit is undone', async (t) => {
    const proxy = await startSlowProxy(system.shared.walletUrl, 1500, ['/internal/wallet/debit']);
    t.teardown(() => proxy.close());
    const impatient = await system.startBets({ WALLET_URL: proxy.url });
    const player = system.player();
    await system.fund(player, '50.00');
    const response = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '10.00'), instance: impatient });
    t.equal(response.status, 503);
    t.equal(response.body.code, 'WALLET_UNAVAILABLE');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    t.equal(await system.balance(player), '50.00', 'nothing was taken');
    t.equal(await betCount(system, player), 0);
    await impatient.stop();
  });

  await t.test('the wallet is stopped, then restarted: 503 meanwhile, bets again after', async (t) => {
    const player = system.player();
    await system.fund(player, '50.00');
    await system.stopWallet();
    const down = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '10.00') });
    t.equal(down.status, 503);
    t.equal(down.body.code, 'WALLET_UNAVAILABLE');
    await system.startWallet();
    t.equal(await system.balance(player), '50.00');
    const up = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '10.00') });
    t.equal(up.status, 201);
    t.equal(await system.balance(player), '40.00');
  });

  await assertAuditsPass(t, system.databaseUrl);
});

t.test('settlement interrupted mid-outbox resumes and pays each winner once', async (t) => {
  // The first instance dies right after delivering its first credit, before recording it.
  const system = await startBetsSystem(t, { firstBetsEnv: { LUDIC_FAULT: 'exit-mid-outbox' } });
  const admin = system.admin();
  const winners = [system.player('W1'), system.player('W2'), system.player('W3')];
  const event = await system.createEvent({ odds: { home: '2.00', draw: '3.00', away: '4.00' } });
  for (const player of winners) {
    await system.fund(player, '20.00');
    const placed = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '10.00') });
    t.equal(placed.status, 201);
  }
  await system.call('PATCH', `/api/admin/events/${event.id}`, { player: admin, body: { status: 'live' } });
  await system.call('POST', `/api/admin/events/${event.id}/settle`, { player: admin, body: { result: 'home' } }).catch(() => undefined);
  await eventually(async () => system.bets[0]!.process.exitCode !== null || system.bets[0]!.process.signalCode !== null, 'the faulty instance to die');
  const { rows: settled } = await system.pool.query("select status from bets.events where id = $1", [event.id]);
  t.equal(settled[0].status, 'finished', 'the settlement itself committed');
  const { rows: undelivered } = await system.pool.query('select count(*)::int as n from bets.settlement_outbox where delivered_at is null');
  t.equal(undelivered[0].n, 3, 'no delivery was recorded');

  await system.startBets();
  await eventually(async () => {
    const balances = await Promise.all(winners.map((player) => system.balance(player)));
    return balances.every((balance) => balance === '30.00');
  }, 'every payout');
  await eventually(async () => {
    const { rows } = await system.pool.query('select count(*)::int as n from bets.settlement_outbox where delivered_at is null');
    return rows[0].n === 0;
  }, 'the outbox to drain');
  const { rows: payouts } = await system.pool.query("select count(*)::int as n from wallet.ledger_entries where reference like 'payout:%'");
  t.equal(payouts[0].n, 3, 'one payout per winner, the re-delivered one included');
  await assertAuditsPass(t, system.databaseUrl);
});
