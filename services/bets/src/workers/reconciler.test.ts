import { randomUUID } from 'node:crypto';
import { createDatabase } from '@ludic/service-kit';
import t from 'tap';
import { betBody, idempotencyHeaders, startBetsSystem } from '../../test/harness.js';
import type { BetsDatabase } from '../db.js';
import { SCHEMA } from '../migrations/index.js';
import { createWalletClient } from '../wallet.js';
import { reconcileStakeDebits, type ReconcileReport, type ReconcilerDeps } from './reconciler.js';

t.test('a reconciler pass judges the window page by page: every orphan voided once, every bet kept', async (t) => {
  // The instance's own reconciler waits an hour: only the passes below judge these debits.
  const system = await startBetsSystem(t, { firstBetsEnv: { RECONCILE_AFTER_MS: '3600000' } });
  const database = createDatabase<BetsDatabase>({ url: system.databaseUrl, schema: SCHEMA, poolSize: 2, statementTimeoutMs: 5_000, applicationName: 'reconciler-test' });
  t.teardown(() => database.close());
  const wallet = createWalletClient({ WALLET_URL: system.shared.walletUrl, WALLET_TIMEOUT_MS: 5_000, INTERNAL_TOKEN: system.shared.internalToken });
  const deps: ReconcilerDeps = {
    db: database.db,
    wallet,
    log: { warn: () => undefined } as unknown as ReconcilerDeps['log'],
    reconcileAfterMs: 0,
    pageSize: 3,
    pagePauseMs: 5,
    leaseMs: 10_000,
  };
  // The instance's reconciler may hold the lease at this moment; its pass is short.
  const pass = async (): Promise<ReconcileReport> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const report = await reconcileStakeDebits(deps);
      if (report.ran) return report;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the reconciler lease never came free');
  };
  await pass(); // moves the watermark past everything before this test

  const event = await system.createEvent();
  const player = system.player();
  await system.fund(player, '100.00');
  const placed: string[] = [];
  for (let i = 0; i < 4; i++) {
    const response = await system.call('POST', '/api/bets', { player, headers: idempotencyHeaders(), body: betBody(event, 'home', '1.00') });
    t.equal(response.status, 201, 'a real bet');
    placed.push(`bet:${response.body.id}`);
  }
  // Debits no bet will ever own: a bets process that died between the debit and the commit.
  const orphans = [...Array.from({ length: 7 }, () => `bet:${randomUUID()}`), 'bet:not-a-bet-id'];
  await Promise.all(orphans.map((reference) => system.wallet.debit({ body: { userId: player.userId, amount: '2.00', reference } })));
  t.equal(await system.balance(player), '80.00', '4 stakes and 8 orphan debits taken');
  // Five debits in one millisecond, more than a page: the paging must step past it, not loop.
  // The ledger refuses UPDATE by trigger; only this test setup steps around it.
  const setup = await system.pool.connect();
  try {
    await setup.query('begin');
    await setup.query(`set local session_replication_role = replica`);
    await setup.query(`update wallet.ledger_entries set created_at = (select max(created_at) from wallet.ledger_entries) where reference = any($1)`, [orphans.slice(0, 5)]);
    await setup.query('commit');
  } finally {
    setup.release();
  }
  await new Promise((resolve) => setTimeout(resolve, 20));

  const report = await pass();
  t.equal(report.checked, placed.length + orphans.length, 'every debit of the window judged once');
  t.same([...report.voided].sort(), [...orphans].sort(), 'exactly the orphans voided');
  t.equal(await system.balance(player), '96.00', 'the orphan debits are given back, the stakes stay');
  const { rows } = await system.pool.query<{ n: number }>(`select count(*)::int as n from bets.bets where user_id = $1 and status = 'pending'`, [player.userId]);
  t.equal(rows[0]!.n, 4, 'the bets stand');

  const again = await pass();
  t.same({ checked: again.checked, voided: again.voided }, { checked: 0, voided: [] }, 'the watermark moved: the next pass judges nothing again');
});
