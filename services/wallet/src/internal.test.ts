import { notificationChannel } from '@ludic/contracts';
import { testRedisUrl } from '@ludic/stack';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import t from 'tap';
import { startWallet } from '../test/helpers.js';

const debitUrl = '/internal/wallet/debit';
const creditUrl = '/internal/wallet/credit';
const voidUrl = '/internal/wallet/void';

t.test('internal routes demand the service token: 401 without or with a wrong one, and nothing moves', async (t) => {
  const w = await startWallet(t);
  const calls = [
    { method: 'POST' as const, url: debitUrl, payload: { userId: 'u1', amount: '1.00', reference: 'bet:a' } },
    { method: 'POST' as const, url: creditUrl, payload: { userId: 'u1', amount: '1.00', reference: 'payout:a', type: 'bet_payout' } },
    { method: 'POST' as const, url: voidUrl, payload: { reference: 'bet:a' } },
    { method: 'GET' as const, url: '/internal/wallet/entries?reference=bet:a' },
  ];
  for (const call of calls) {
    for (const headers of [{}, { 'x-internal-token': 'not-the-token-but-long-enough-to-look-real' }, { 'x-internal-token': `${w.service['x-internal-token']}x` }]) {
      const res = await w.app.inject({ ...call, headers });
      t.equal(res.statusCode, 401, `${call.method} ${call.url} with ${JSON.stringify(headers)}`);
      t.equal(res.json().code, 'UNAUTHORIZED');
    }
  }
  const withUserToken = await w.app.inject({ method: 'POST', url: debitUrl, headers: w.player('u1').headers, payload: calls[0]!.payload });
  t.equal(withUserToken.statusCode, 401, "a user's access token is not a service credential");
  t.same(await w.entries(), [], 'no entry was written');
});

t.test('the first debit creates the wallet with its opening entry in the same transaction', async (t) => {
  const w = await startWallet(t);
  const res = await w.internal('POST', debitUrl, { userId: 'u1', amount: '25.50', reference: 'bet:first' });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { entryId: /^[0-9a-f-]{36}$/, balance: '974.50' });
  const rows = await w.entries('u1');
  t.match(rows, [
    { type: 'opening', amount: 100000n, balance_after: 100000n, reference: /^opening:/ },
    { type: 'bet_stake', amount: -2550n, balance_after: 97450n, reference: 'bet:first' },
  ]);
  const refused = await w.internal('POST', debitUrl, { userId: 'u2', amount: '1000.01', reference: 'bet:too-much' });
  t.equal(refused.statusCode, 422);
  t.equal(refused.json().code, 'INSUFFICIENT_FUNDS');
  t.same(await w.entries('u2'), [], 'a refused first debit leaves no wallet behind');
  t.equal(await w.balance('u2'), undefined);
  await w.assertAudit(t);
});

t.test('200 concurrent debits of 10.00 against 100.00: exactly 10 succeed and the balance ends at 0.00', async (t) => {
  const w = await startWallet(t, { OPENING_BALANCE: '100.00' });
  const responses = await Promise.all(
    Array.from({ length: 200 }, (_, i) => w.internal('POST', debitUrl, { userId: 'racer', amount: '10.00', reference: `bet:race-${i}` })),
  );
  const ok = responses.filter((r) => r.statusCode === 200);
  const refused = responses.filter((r) => r.statusCode === 422);
  t.equal(ok.length, 10, 'exactly ten debits succeed');
  t.equal(refused.length, 190, 'every other one is refused');
  t.ok(refused.every((r) => r.json().code === 'INSUFFICIENT_FUNDS'));
  t.same(
    ok.map((r) => r.json().balance).sort(),
    ['0.00', '10.00', '20.00', '30.00', '40.00', '50.00', '60.00', '70.00', '80.00', '90.00'],
    'each success saw a distinct balance',
  );
  t.equal(await w.balance('racer'), 0n);
  t.equal((await w.entries('racer')).length, 11, 'opening plus ten stakes');
  await w.assertAudit(t);
});

t.test('a repeated debit returns the first result; the same reference with other terms is REFERENCE_CONFLICT', async (t) => {
  const w = await startWallet(t);
  const body = { userId: 'u1', amount: '10.00', reference: 'bet:once' };
  const first = await w.internal('POST', debitUrl, body);
  await w.internal('POST', debitUrl, { userId: 'u1', amount: '5.00', reference: 'bet:other' });
  const replay = await w.internal('POST', debitUrl, body);
  t.equal(replay.statusCode, 200);
  t.same(replay.json(), first.json(), 'same entry id and the balance of the first answer');
  for (const conflicting of [
    { ...body, amount: '10.01' },
    { ...body, userId: 'u2' },
  ]) {
    const res = await w.internal('POST', debitUrl, conflicting);
    t.equal(res.statusCode, 409, JSON.stringify(conflicting));
    t.equal(res.json().code, 'REFERENCE_CONFLICT');
  }
  const asCredit = await w.internal('POST', creditUrl, { ...body, type: 'bet_refund' });
  t.equal(asCredit.statusCode, 409);
  t.equal(asCredit.json().code, 'REFERENCE_CONFLICT', 'a credit cannot reuse a debit reference');
  t.equal(await w.balance('u1'), 98500n, 'moved once per reference');
  t.equal(await w.balance('u2'), undefined, 'the conflicting user got no wallet');
  await w.assertAudit(t);
});

t.test('50 concurrent copies of one debit move money once', async (t) => {
  const w = await startWallet(t);
  const body = { userId: 'u1', amount: '7.00', reference: 'bet:copies' };
  const responses = await Promise.all(Array.from({ length: 50 }, () => w.internal('POST', debitUrl, body)));
  t.ok(responses.every((r) => r.statusCode === 200));
  t.equal(new Set(responses.map((r) => r.json().entryId)).size, 1, 'one entry');
  t.equal(await w.balance('u1'), 99300n);
  await w.assertAudit(t);
});

t.test('credits: paid once per reference, replayed, conflicting terms refused', async (t) => {
  const w = await startWallet(t);
  const payout = { userId: 'winner', amount: '250.00', reference: 'payout:b1', type: 'bet_payout' };
  const first = await w.internal('POST', creditUrl, payout);
  t.equal(first.statusCode, 200);
  t.equal(first.json().balance, '1250.00', 'a credit to a new user opens the wallet first');
  t.same((await w.internal('POST', creditUrl, payout)).json(), first.json());
  for (const conflicting of [
    { ...payout, type: 'bet_refund' },
    { ...payout, amount: '250.01' },
    { ...payout, userId: 'someone-else' },
  ]) {
    const res = await w.internal('POST', creditUrl, conflicting);
    t.equal(res.statusCode, 409, JSON.stringify(conflicting));
    t.equal(res.json().code, 'REFERENCE_CONFLICT');
  }
  const adjustment = await w.internal('POST', creditUrl, { userId: 'winner', amount: '0.01', reference: 'adjust:1', type: 'adjustment' });
  t.equal(adjustment.json().balance, '1250.01');
  t.match(await w.entries('winner'), [{ type: 'opening' }, { type: 'bet_payout', amount: 25000n }, { type: 'adjustment', amount: 1n }]);
  await w.assertAudit(t);
});

t.test('void after debit reverses it exactly once; the debit is refused afterwards', async (t) => {
  const w = await startWallet(t);
  await w.internal('POST', debitUrl, { userId: 'u1', amount: '40.00', reference: 'bet:v1' });
  t.equal(await w.balance('u1'), 96000n);
  const voided = await w.internal('POST', voidUrl, { reference: 'bet:v1' });
  t.equal(voided.statusCode, 200);
  t.same(voided.json(), { voided: true });
  t.equal(await w.balance('u1'), 100000n, 'the stake is back');
  const again = await w.internal('POST', voidUrl, { reference: 'bet:v1' });
  t.same(again.json(), { voided: true }, 'a repeat gives the same answer');
  const redebit = await w.internal('POST', debitUrl, { userId: 'u1', amount: '40.00', reference: 'bet:v1' });
  t.equal(redebit.statusCode, 409);
  t.equal(redebit.json().code, 'REFERENCE_VOIDED');
  t.match(await w.entries('u1'), [
    { type: 'opening' },
    { type: 'bet_stake', amount: -4000n, reference: 'bet:v1' },
    { type: 'bet_stake_reversal', amount: 4000n, reference: 'void:bet:v1', balance_after: 100000n },
  ]);
  t.equal((await w.entries('u1')).length, 3, 'one reversal only');
  await w.assertAudit(t);
});

t.test('void before debit leaves a tombstone: the late debit is REFERENCE_VOIDED and nothing moves', async (t) => {
  const w = await startWallet(t);
  const early = await w.internal('POST', voidUrl, { reference: 'bet:late' });
  t.same(early.json(), { voided: false });
  t.same((await w.internal('POST', voidUrl, { reference: 'bet:late' })).json(), { voided: false }, 'a repeat answers the same');
  const late = await w.internal('POST', debitUrl, { userId: 'u1', amount: '10.00', reference: 'bet:late' });
  t.equal(late.statusCode, 409);
  t.equal(late.json().code, 'REFERENCE_VOIDED');
  t.same(await w.entries(), [], 'no wallet and no entry');
  const credit = await w.internal('POST', creditUrl, { userId: 'u1', amount: '10.00', reference: 'bet:late', type: 'bet_refund' });
  t.equal(credit.json().code, 'REFERENCE_CONFLICT', 'a voided reference carries no credit either');
  await w.assertAudit(t);
});

t.test('only debits can be voided; the wallet’s own reference kinds are off limits', async (t) => {
  const w = await startWallet(t);
  await w.internal('POST', creditUrl, { userId: 'u1', amount: '5.00', reference: 'payout:x', type: 'bet_payout' });
  const res = await w.internal('POST', voidUrl, { reference: 'payout:x' });
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'REFERENCE_CONFLICT');
  for (const [url, payload] of [
    [debitUrl, { userId: 'u1', amount: '1.00', reference: 'void:bet:x' }],
    [creditUrl, { userId: 'u1', amount: '1.00', reference: 'deposit:x', type: 'adjustment' }],
    [creditUrl, { userId: 'u1', amount: '1.00', reference: 'opening:x', type: 'adjustment' }],
    [voidUrl, { reference: 'void:bet:x' }],
  ] as const) {
    const reserved = await w.internal('POST', url, payload);
    t.equal(reserved.statusCode, 400, JSON.stringify(payload));
    t.equal(reserved.json().code, 'VALIDATION_ERROR');
  }
  t.equal(await w.balance('u1'), 100500n);
  await w.assertAudit(t);
});

t.test('debit and void racing on the same reference: either the stake is taken and reversed, or refused', async (t) => {
  const w = await startWallet(t);
  const rounds = 40;
  const results = await Promise.all(
    Array.from({ length: rounds }, async (_, i) => {
      const reference = `bet:race-${i}`;
      const debit = { userId: `racer-${i % 4}`, amount: '3.00', reference };
      // Alternate which one is sent first; the database decides who wins.
      const [d, v] =
        i % 2 === 0
          ? await Promise.all([w.internal('POST', debitUrl, debit), w.internal('POST', voidUrl, { reference })])
          : await Promise.all([w.internal('POST', voidUrl, { reference }), w.internal('POST', debitUrl, debit)]).then(([v2, d2]) => [d2, v2]);
      return { reference, debit: d!, void: v! };
    }),
  );
  let debitWon = 0;
  for (const { reference, debit, void: voidRes } of results) {
    if (debit.statusCode === 200) {
      debitWon++;
      t.same(voidRes.json(), { voided: true }, `${reference}: the void that came second reversed the debit`);
    } else {
      t.equal(debit.json().code, 'REFERENCE_VOIDED', `${reference}: the debit that came second was refused`);
      t.same(voidRes.json(), { voided: false });
    }
  }
  t.comment(`debit first in ${debitWon} of ${rounds} races`);
  // A racer whose every debit lost never got a wallet; one that did is whole again.
  const whole = async (i: number) => [undefined, 100000n].includes(await w.balance(`racer-${i}`));
  for (let i = 0; i < 4; i++) t.ok(await whole(i), `racer-${i} has no wallet or is whole again`);
  // Retrying everything after the race changes nothing.
  for (const { reference } of results) {
    await w.internal('POST', voidUrl, { reference });
    await w.internal('POST', debitUrl, { userId: 'racer-0', amount: '3.00', reference });
  }
  for (let i = 0; i < 4; i++) t.ok(await whole(i), `racer-${i} unchanged by the retries`);
  await w.assertAudit(t);
});

t.test('amounts that are not positive two-decimal strings are 400 and write nothing', async (t) => {
  const w = await startWallet(t);
  const bad: unknown[] = ['0', '0.00', '-1', '1.001', '1e3', 'NaN', '99999999999999999999', ' 1.00', '1,00', '', 10, 10.5, null, true, ['1.00'], { value: '1.00' }];
  for (const amount of bad) {
    for (const [url, extra] of [
      [debitUrl, {}],
      [creditUrl, { type: 'bet_payout' }],
    ] as const) {
      const res = await w.internal('POST', url, { userId: 'u1', amount, reference: `bet:${String(bad.indexOf(amount))}`, ...extra });
      t.equal(res.statusCode, 400, `${url} ${JSON.stringify(amount)}`);
      t.equal(res.json().code, 'VALIDATION_ERROR');
    }
  }
  for (const payload of [{ userId: 'u1', reference: 'bet:x' }, { amount: '1.00', reference: 'bet:x' }, { userId: 'u1', amount: '1.00' }, {}]) {
    const res = await w.internal('POST', debitUrl, payload);
    t.equal(res.statusCode, 400, `missing field in ${JSON.stringify(payload)}`);
  }
  const badCreditType = await w.internal('POST', creditUrl, { userId: 'u1', amount: '1.00', reference: 'x:1', type: 'opening' });
  t.equal(badCreditType.statusCode, 400, 'a credit cannot pose as an opening');
  t.same(await w.entries(), [], 'no entry written');
});

t.test('entries: by reference (with its reversal) and by prefix older than a time, newest first', async (t) => {
  const w = await startWallet(t);
  await w.internal('POST', debitUrl, { userId: 'u1', amount: '1.00', reference: 'bet:e1' });
  await w.internal('POST', debitUrl, { userId: 'u1', amount: '2.00', reference: 'bet:e2' });
  await w.internal('POST', creditUrl, { userId: 'u1', amount: '3.00', reference: 'payout:e1', type: 'bet_payout' });
  await w.internal('POST', voidUrl, { reference: 'bet:e2' });
  const byRef = await w.internal('GET', '/internal/wallet/entries?reference=bet:e2');
  t.equal(byRef.statusCode, 200);
  t.match(byRef.json(), [
    { reference: 'bet:e2', type: 'bet_stake', amount: '-2.00', userId: 'u1', walletId: /^[0-9a-f-]{36}$/ },
    { reference: 'void:bet:e2', type: 'bet_stake_reversal', amount: '2.00' },
  ]);
  t.same((await w.internal('GET', '/internal/wallet/entries?reference=bet:nothing')).json(), []);

  const all = (await w.internal('GET', '/internal/wallet/entries?prefix=bet:')).json();
  t.same(all.map((e: { reference: string }) => e.reference), ['bet:e2', 'bet:e1'], 'only bet: entries, newest first');
  const limited = (await w.internal('GET', '/internal/wallet/entries?prefix=bet:&limit=1')).json();
  t.equal(limited.length, 1);
  const future = new Date(Date.now() + 60_000).toISOString();
  t.equal((await w.internal('GET', `/internal/wallet/entries?prefix=bet:&olderThan=${future}`)).json().length, 2);
  const past = new Date(Date.now() - 60_000).toISOString();
  t.same((await w.internal('GET', `/internal/wallet/entries?prefix=bet:&olderThan=${past}`)).json(), [], 'nothing older than a minute');
  const e1 = all[1] as { createdAt: string };
  const older = (await w.internal('GET', `/internal/wallet/entries?prefix=bet:&olderThan=${e1.createdAt}`)).json();
  t.notOk(older.some((e: { reference: string }) => e.reference === 'bet:e1'), 'olderThan is exclusive');
  const first = all[0] as { id: string };
  const next = (await w.internal('GET', `/internal/wallet/entries?prefix=bet:&limit=1&after=${first.id}`)).json();
  t.same(next.map((e: { reference: string }) => e.reference), ['bet:e1'], 'after: the page goes on strictly after that entry');
  t.same((await w.internal('GET', `/internal/wallet/entries?prefix=bet:&after=${(all[1] as { id: string }).id}`)).json(), [], 'nothing after the oldest');

  for (const query of ['', 'reference=bet:e1&prefix=bet:', 'reference=bet:e1&olderThan=2024-01-01T00:00:00Z', 'prefix=bet', 'prefix=bet:&limit=0', 'prefix=bet:&olderThan=yesterday', 'reference=bet:e1&after=00000000-0000-4000-8000-000000000000', 'prefix=bet:&after=e1']) {
    const res = await w.internal('GET', `/internal/wallet/entries?${query}`);
    t.equal(res.statusCode, 400, query);
  }
});

t.test('every balance change is published as wallet.updated on the user channel', async (t) => {
  const w = await startWallet(t);
  const subscriber = new Redis(testRedisUrl());
  t.teardown(() => subscriber.quit());
  const received: unknown[] = [];
  subscriber.on('message', (_channel, message) => received.push(JSON.parse(message)));
  await subscriber.subscribe(notificationChannel('listener'));
  await w.internal('POST', debitUrl, { userId: 'listener', amount: '10.00', reference: 'bet:n1' });
  await w.internal('POST', debitUrl, { userId: 'listener', amount: '10.00', reference: 'bet:n1' });
  await w.internal('POST', voidUrl, { reference: 'bet:n1' });
  await w.internal('POST', creditUrl, { userId: 'listener', amount: '5.00', reference: 'payout:n1', type: 'bet_payout' });
  const deadline = Date.now() + 2000;
  while (received.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(received, [
    { type: 'wallet.updated', data: { balance: '990.00' } },
    { type: 'wallet.updated', data: { balance: '1000.00' } },
    { type: 'wallet.updated', data: { balance: '1005.00' } },
  ], 'one message per movement; a replay publishes nothing');
});

t.test('the database itself refuses to rewrite history', async (t) => {
  const w = await startWallet(t);
  await w.internal('POST', debitUrl, { userId: 'u1', amount: '1.00', reference: 'bet:h' });
  await w.internal('POST', voidUrl, { reference: 'bet:h' });
  for (const statement of [
    sql`update wallet.ledger_entries set amount = -1 where reference = 'bet:h'`,
    sql`delete from wallet.ledger_entries where reference = 'bet:h'`,
    sql`truncate wallet.ledger_entries cascade`,
    sql`update wallet.voided_references set reversal_entry_id = null`,
    sql`delete from wallet.voided_references`,
  ]) {
    await t.rejects(statement.execute(w.direct.db), /append-only/);
  }
  await t.rejects(sql`update wallet.wallets set balance = -1`.execute(w.direct.db), /wallets_balance_check/);
  await t.rejects(
    sql`insert into wallet.ledger_entries (wallet_id, type, amount, balance_after, reference)
        select id, 'bet_stake', 5, 0, 'bet:positive-stake' from wallet.wallets`.execute(w.direct.db),
    /ledger_entries_amount_sign/,
  );
  await w.assertAudit(t);
});
