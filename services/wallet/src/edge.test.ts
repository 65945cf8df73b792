import { createDatabase } from '@ludic/service-kit';
import { startTestStack } from '@ludic/stack';
import t from 'tap';
import type { WalletDatabase } from './db.js';
import { auditLedger, formatAuditReport } from './ledger-audit.js';
import { SCHEMA } from './migrations/index.js';

/** The wallet as clients and bets reach it: real processes, two instances, nginx in front. */
t.test('through nginx: wallet routes served, internal ones unreachable; debits across instances never overdraw', async (t) => {
  const stack = await startTestStack(t, { instancesPerService: 2 });
  const edge = (path: string, init: RequestInit = {}) => fetch(`${stack.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });

  const registered = await edge('/api/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'wallet-edge@example.test', password: 'correct horse battery', name: 'Edge' }),
  });
  t.equal(registered.status, 201);
  const { token, user } = (await registered.json()) as { token: string; user: { id: string } };
  const auth = { authorization: `Bearer ${token}` };

  const wallet = await edge('/api/wallet', { headers: auth });
  t.equal(wallet.status, 200);
  t.match(wallet.headers.get('x-served-by'), /^wallet-\d$/);
  t.match(await wallet.json(), { userId: user.id, balance: '1000.00', currency: 'RUB' });
  t.equal((await edge('/health/wallet')).status, 200);

  const internalBody = JSON.stringify({ userId: user.id, amount: '1.00', reference: 'bet:edge' });
  const viaEdge = await edge('/internal/wallet/debit', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-internal-token': stack.internalToken },
    body: internalBody,
  });
  t.equal(viaEdge.status, 404, 'nginx does not route /internal/, even with the token');
  await viaEdge.arrayBuffer();

  const deposits = await Promise.all(
    [0, 1].map(() =>
      edge('/api/wallet/deposit', {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'edge-deposit' },
        body: JSON.stringify({ amount: '20.00' }),
      }),
    ),
  );
  const depositStatuses = deposits.map((r) => r.status).sort();
  t.ok(['201,201', '201,409'].includes(depositStatuses.join()), `one deposit, the twin replayed or told to retry (${depositStatuses})`);
  await Promise.all(deposits.map((r) => r.arrayBuffer()));

  // 120 debits of 10.00 against 1020.00, spread over both instances directly (as bets calls them).
  const instances = stack.instances.wallet.map((instance) => instance.url);
  const debits = await Promise.all(
    Array.from({ length: 120 }, (_, i) =>
      fetch(`${instances[i % instances.length]}/internal/wallet/debit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-token': stack.internalToken },
        body: JSON.stringify({ userId: user.id, amount: '10.00', reference: `bet:edge-${i}` }),
        signal: AbortSignal.timeout(20_000),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } })),
    ),
  );
  t.equal(debits.filter((d) => d.status === 200).length, 102, 'exactly 1020.00 worth of stakes taken');
  t.ok(debits.filter((d) => d.status !== 200).every((d) => d.status === 422 && d.body.code === 'INSUFFICIENT_FUNDS'));
  const after = (await (await edge('/api/wallet', { headers: auth })).json()) as { balance: string };
  t.equal(after.balance, '0.00');

  const direct = createDatabase<WalletDatabase>({ url: stack.database.url, schema: SCHEMA, poolSize: 1, statementTimeoutMs: 10_000, applicationName: 'wallet-edge-test' });
  t.teardown(() => direct.close());
  const report = await auditLedger(direct.db);
  t.ok(report.ok, formatAuditReport(report));
});
