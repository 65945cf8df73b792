import { generateSigningKey, signTestToken, bearer } from '@ludic/service-kit/testing';
import t from 'tap';
import { startWallet, type WalletHarness } from '../test/helpers.js';

const deposit = (w: WalletHarness, headers: Record<string, string>, amount: unknown, key?: string) =>
  w.app.inject({
    method: 'POST',
    url: '/api/wallet/deposit',
    headers: { ...headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: { amount },
  });

t.test('GET /api/wallet creates the wallet on first access with the opening balance as a ledger entry', async (t) => {
  const w = await startWallet(t);
  const anonymous = await w.app.inject({ method: 'GET', url: '/api/wallet' });
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.json().code, 'UNAUTHORIZED');

  const alice = w.player();
  const first = await w.app.inject({ method: 'GET', url: '/api/wallet', headers: alice.headers });
  t.equal(first.statusCode, 200);
  const wallet = first.json();
  t.match(wallet, { id: /^[0-9a-f-]{36}$/, userId: alice.userId, balance: '1000.00', currency: 'RUB' });
  t.ok(Date.parse(wallet.createdAt) && Date.parse(wallet.updatedAt));
  const again = await w.app.inject({ method: 'GET', url: '/api/wallet', headers: alice.headers });
  t.same(again.json(), wallet, 'the same wallet afterwards');

  const list = await w.app.inject({ method: 'GET', url: '/api/wallet/transactions', headers: alice.headers });
  t.equal(list.statusCode, 200);
  t.match(list.json(), [{ type: 'opening', amount: '1000.00', balanceAfter: '1000.00', reference: `opening:${wallet.id}` }]);
  await w.assertAudit(t);
});

t.test('currency and opening balance come from the configuration; concurrent first accesses open one wallet', async (t) => {
  const w = await startWallet(t, { CURRENCY: 'EUR', OPENING_BALANCE: '50.00' });
  const bob = w.player();
  const responses = await Promise.all(Array.from({ length: 20 }, () => w.app.inject({ method: 'GET', url: '/api/wallet', headers: bob.headers })));
  t.ok(responses.every((r) => r.statusCode === 200));
  t.equal(new Set(responses.map((r) => r.json().id)).size, 1, 'one wallet');
  t.match(responses[0]!.json(), { balance: '50.00', currency: 'EUR' });
  t.equal((await w.entries(bob.userId)).length, 1, 'one opening entry');
  await w.assertAudit(t);
});

t.test('transactions are newest first and paged with limit and before', async (t) => {
  const w = await startWallet(t);
  const carol = w.player();
  for (let i = 1; i <= 5; i++) {
    t.equal((await deposit(w, carol.headers, `${i}.00`, `page-${i}`)).statusCode, 201);
  }
  await w.internal('POST', '/internal/wallet/debit', { userId: carol.userId, amount: '2.50', reference: 'bet:page' });
  const list = (query: string) => w.app.inject({ method: 'GET', url: `/api/wallet/transactions${query}`, headers: carol.headers });
  const all = (await list('')).json();
  t.same(
    all.map((e: { type: string; amount: string }) => `${e.type} ${e.amount}`),
    ['bet_stake -2.50', 'deposit 5.00', 'deposit 4.00', 'deposit 3.00', 'deposit 2.00', 'deposit 1.00', 'opening 1000.00'],
  );
  t.equal(all[0].balanceAfter, '1012.50');
  const page1 = (await list('?limit=3')).json();
  t.same(page1, all.slice(0, 3));
  const page2 = (await list(`?limit=3&before=${page1[2].id}`)).json();
  t.same(page2, all.slice(3, 6));
  const page3 = (await list(`?limit=3&before=${page2[2].id}`)).json();
  t.same(page3, all.slice(6));
  for (const bad of ['?limit=0', '?limit=201', '?limit=abc', '?before=not-a-uuid', '?other=1']) {
    t.equal((await list(bad)).statusCode, 400, bad);
  }
});

t.test('a deposit needs an Idempotency-Key and moves money once per key', async (t) => {
  const w = await startWallet(t);
  const dave = w.player();
  const missing = await deposit(w, dave.headers, '10.00');
  t.equal(missing.statusCode, 400);
  t.equal(missing.json().code, 'IDEMPOTENCY_KEY_REQUIRED');
  for (const key of ['has space', 'x'.repeat(256), 'tab\tkey', 'ключ']) {
    const res = await w.app.inject({ method: 'POST', url: '/api/wallet/deposit', headers: { ...dave.headers, 'idempotency-key': key }, payload: { amount: '10.00' } });
    t.equal(res.statusCode, 400, `key ${JSON.stringify(key.slice(0, 20))}`);
  }
  t.same(await w.entries(dave.userId), [], 'refused deposits open no wallet');

  const first = await deposit(w, dave.headers, '100.00', 'dep-1');
  t.equal(first.statusCode, 201);
  t.match(first.json(), { balance: '1100.00', transaction: { type: 'deposit', amount: '100.00', balanceAfter: '1100.00', reference: /^deposit:/ } });
  t.notOk(first.headers['idempotent-replayed']);
  const replay = await deposit(w, dave.headers, '100.00', 'dep-1');
  t.equal(replay.statusCode, 201, 'replayed with the first status');
  t.same(replay.json(), first.json(), 'and the first body');
  t.equal(replay.headers['idempotent-replayed'], 'true');
  const reused = await deposit(w, dave.headers, '100.01', 'dep-1');
  t.equal(reused.statusCode, 409);
  t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED');
  t.equal(await w.balance(dave.userId), 110000n, 'moved once');
  await w.assertAudit(t);
});

t.test('30 concurrent deposits with one key move money once', async (t) => {
  const w = await startWallet(t);
  const erin = w.player();
  await w.app.inject({ method: 'GET', url: '/api/wallet', headers: erin.headers });
  const responses = await Promise.all(Array.from({ length: 30 }, () => deposit(w, erin.headers, '25.00', 'same-key')));
  const created = responses.filter((r) => r.statusCode === 201);
  const inProgress = responses.filter((r) => r.statusCode === 409);
  t.equal(created.length + inProgress.length, 30, 'every answer is the result or "still running"');
  t.ok(inProgress.every((r) => r.json().code === 'IDEMPOTENCY_IN_PROGRESS'));
  t.comment(`${created.length} answered with the result, ${inProgress.length} told to retry`);
  t.equal(new Set(created.map((r) => r.json().transaction.id)).size, 1, 'every success carries the same transaction');
  t.equal(await w.balance(erin.userId), 102500n, 'one deposit of 25.00');
  t.equal((await w.entries(erin.userId)).filter((e) => e.type === 'deposit').length, 1);
  await w.assertAudit(t);
});

t.test('deposit amounts that are not positive two-decimal strings are 400 and write nothing', async (t) => {
  const w = await startWallet(t);
  const frank = w.player();
  const bad: unknown[] = ['0', '0.00', '-1', '1.001', '1e3', 'NaN', '99999999999999999999', 'Infinity', '', 100, 1.5, null, false, ['1.00']];
  for (const [i, amount] of bad.entries()) {
    const res = await deposit(w, frank.headers, amount, `bad-${i}`);
    t.equal(res.statusCode, 400, JSON.stringify(amount));
    t.equal(res.json().code, 'VALIDATION_ERROR');
  }
  for (const payload of [{}, { amount: '1.00', extra: 1 }, { value: '1.00' }]) {
    const res = await w.app.inject({ method: 'POST', url: '/api/wallet/deposit', headers: { ...frank.headers, 'idempotency-key': 'shape' }, payload });
    t.equal(res.statusCode, 400, JSON.stringify(payload));
  }
  t.same(await w.entries(frank.userId), [], 'no wallet, no entry');
});

t.test('deposit limits: per deposit, per 24 hours (also under concurrency), and a failed key is not poisoned', async (t) => {
  const w = await startWallet(t, { DEPOSIT_MAX: '100.00', DEPOSIT_DAILY_MAX: '250.00' });
  const gina = w.player();
  const tooBig = await deposit(w, gina.headers, '100.01', 'k1');
  t.equal(tooBig.statusCode, 422);
  t.match(tooBig.json(), { code: 'DEPOSIT_LIMIT_EXCEEDED', details: { limit: '100.00' } });
  const sameKeyAfterFailure = await deposit(w, gina.headers, '100.00', 'k1');
  t.equal(sameKeyAfterFailure.statusCode, 201, 'a refused attempt leaves its key free for a corrected retry');
  t.equal((await deposit(w, gina.headers, '100.00', 'k2')).statusCode, 201);
  const overDay = await deposit(w, gina.headers, '50.01', 'k3');
  t.equal(overDay.statusCode, 422);
  t.match(overDay.json(), { code: 'DEPOSIT_LIMIT_EXCEEDED', details: { dailyLimit: '250.00', depositedLast24h: '200.00' } });
  t.equal((await deposit(w, gina.headers, '50.00', 'k4')).statusCode, 201, 'exactly up to the daily limit is fine');
  t.equal(await w.balance(gina.userId), 125000n);

  const hank = w.player();
  const racing = await Promise.all(Array.from({ length: 12 }, (_, i) => deposit(w, hank.headers, '100.00', `race-${i}`)));
  t.equal(racing.filter((r) => r.statusCode === 201).length, 2, 'concurrent deposits cannot pass the daily limit together');
  t.ok(racing.filter((r) => r.statusCode !== 201).every((r) => r.json().code === 'DEPOSIT_LIMIT_EXCEEDED'));
  t.equal(await w.balance(hank.userId), 120000n);
  await w.assertAudit(t);
});

t.test('deposits can be switched off', async (t) => {
  const w = await startWallet(t, { DEPOSITS_ENABLED: 'false' });
  const ivan = w.player();
  const res = await deposit(w, ivan.headers, '10.00', 'off');
  t.equal(res.statusCode, 403);
  t.equal(res.json().code, 'DEPOSITS_DISABLED');
  t.same(await w.entries(ivan.userId), []);
});

t.test("another user's token never sees or moves this wallet; forged and expired tokens get nothing", async (t) => {
  const w = await startWallet(t);
  const owner = w.player();
  const other = w.player();
  const ownerWallet = (await w.app.inject({ method: 'GET', url: '/api/wallet', headers: owner.headers })).json();
  await deposit(w, owner.headers, '10.00', 'shared-key');

  const otherWallet = (await w.app.inject({ method: 'GET', url: '/api/wallet', headers: other.headers })).json();
  t.not(otherWallet.id, ownerWallet.id);
  t.equal(otherWallet.userId, other.userId);
  const otherList = (await w.app.inject({ method: 'GET', url: '/api/wallet/transactions', headers: other.headers })).json();
  t.same(otherList.map((e: { type: string }) => e.type), ['opening'], "none of the owner's entries");
  const ownerEntries = (await w.app.inject({ method: 'GET', url: '/api/wallet/transactions', headers: owner.headers })).json();
  const peek = await w.app.inject({ method: 'GET', url: `/api/wallet/transactions?before=${ownerEntries[0].id}`, headers: other.headers });
  t.same(peek.json(), [], "paging from the owner's entry id shows nothing");

  const sameKey = await deposit(w, other.headers, '10.00', 'shared-key');
  t.equal(sameKey.statusCode, 201, 'keys are per user');
  t.equal(sameKey.json().balance, '1010.00', "the deposit went to the caller's own wallet");
  t.equal(await w.balance(owner.userId), 101000n, "the owner's balance is untouched");

  const forger = generateSigningKey();
  const forged = signTestToken(forger, { sub: owner.userId });
  const expired = signTestToken(w.key, { sub: owner.userId, expiresIn: -60 });
  for (const [what, headers] of [
    ['a token signed by another key', bearer(forged.token)],
    ['an expired token', bearer(expired.token)],
    ['a malformed header', { authorization: 'Bearer nope' }],
    ['the internal token', w.service],
  ] as const) {
    for (const request of [
      { method: 'GET' as const, url: '/api/wallet' },
      { method: 'GET' as const, url: '/api/wallet/transactions' },
      { method: 'POST' as const, url: '/api/wallet/deposit', payload: { amount: '1.00' } },
    ]) {
      const res = await w.app.inject({ ...request, headers: { ...headers, 'idempotency-key': 'forged' } });
      t.equal(res.statusCode, 401, `${what}: ${request.method} ${request.url}`);
    }
  }
  t.equal(await w.balance(owner.userId), 101000n);
  await w.assertAudit(t);
});
