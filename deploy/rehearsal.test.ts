import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { repoRoot, testDir, testServiceRuntime, waitFor } from '@ludic/stack';
import { hosts, setHostLink, staleResources } from './rehearsal/network.js';
import { adminEmail, startRehearsal } from './rehearsal/rehearsal.js';

/**
 * Issue #9's multi-server rehearsal: a balancer, two app hosts and a data host, each a network
 * namespace on this machine (deploy/rehearsal/). Requests spread over both app hosts, a session
 * from one host is honoured by the other, and when an app host dies (or is unplugged) the API
 * keeps serving: idempotent requests never fail, and POSTs the client retries with the same
 * Idempotency-Key take effect exactly once; the host takes traffic again when it is back.
 */

interface Answer {
  status: number;
  servedBy: string | null;
  body: any;
}

async function call(base: string, route: string, init: { method?: string; token?: string; body?: unknown; idempotencyKey?: string } = {}): Promise<Answer> {
  const response = await fetch(`${base}${route}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, servedBy: response.headers.get('x-served-by'), body: text ? JSON.parse(text) : undefined };
}

/** Every item of a paged list (newest first, `?before=` the last id seen). */
async function listAll(base: string, route: string, token: string): Promise<{ id: string; type?: string }[]> {
  const items: { id: string; type?: string }[] = [];
  for (;;) {
    const page = await call(base, `${route}?limit=200${items.length ? `&before=${items.at(-1)!.id}` : ''}`, { token });
    if (page.status !== 200) throw new Error(`${route}: ${page.status} ${JSON.stringify(page.body)}`);
    items.push(...page.body);
    if (page.body.length < 200) return items;
  }
}

/**
 * What a careful client does with a POST that carries an Idempotency-Key: on a network error,
 * a 5xx, or "the first attempt is still in progress", send the same request again.
 */
async function postWithRetries(base: string, route: string, init: { token: string; body: unknown }): Promise<{ answer: Answer; attempts: number }> {
  const idempotencyKey = randomUUID();
  for (let attempts = 1; ; attempts++) {
    const answer = await call(base, route, { ...init, method: 'POST', idempotencyKey }).catch((error: Error) => ({ status: 0, servedBy: null, body: error.message }));
    const retryable = answer.status === 0 || answer.status >= 500 || answer.body?.code === 'IDEMPOTENCY_IN_PROGRESS';
    if (!retryable || attempts === 10) return { answer, attempts };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

t.test('a balancer, two app hosts and a data host in network namespaces', { timeout: 240_000 }, async (t) => {
  const dir = testDir('rehearsal');
  const runtime = testServiceRuntime();
  const rehearsal = await startRehearsal({ dir, runtime });
  t.teardown(() => rehearsal.stop());
  const edge = rehearsal.edgeUrl;
  const password = 'rehearsal-password-1';
  const register = async (email: string) => {
    const answer = await call(edge, '/api/auth/register', { method: 'POST', body: { email, password, name: 'Rehearsal' } });
    t.equal(answer.status, 201, `register ${email}: ${answer.status} ${answer.body?.code ?? ''}`);
    return answer;
  };

  const admin = (await register(adminEmail)).body.token as string;
  const players = await Promise.all([1, 2, 3, 4].map((n) => register(`player-${n}@example.test`)));
  const tokens = players.map((player) => player.body.token as string);

  await t.test('requests spread over both app hosts, and a session from one is honoured by the other', async (t) => {
    const servedBy = new Set<string>();
    for (const player of players) servedBy.add(player.servedBy!);
    for (let i = 0; i < 12; i++) {
      const wallet = await call(edge, '/api/wallet', { token: tokens[0] });
      t.equal(wallet.status, 200);
      servedBy.add(wallet.servedBy!);
      const events = await call(edge, '/api/events');
      t.equal(events.status, 200);
      servedBy.add(events.servedBy!);
    }
    for (const id of ['auth-gateway-app1', 'auth-gateway-app2', 'wallet-app1', 'wallet-app2', 'bets-app1', 'bets-app2']) {
      t.ok(servedBy.has(id), `${id} answered through the balancer`);
    }
    // The token was issued by one gateway; both app hosts' wallets, asked directly, accept it.
    for (const host of [hosts.app1, hosts.app2]) {
      const direct = await call(`http://${host.address}:4201`, '/api/wallet', { token: tokens[0] });
      t.equal(direct.status, 200, `${host.name} honours a session issued by ${players[0]!.servedBy}`);
    }
  });

  const event = await call(edge, '/api/admin/events', {
    method: 'POST',
    token: admin,
    body: { tournament: 'Rehearsal Cup', round: 'Final', homeTeam: 'Namespaces', awayTeam: 'Bridges', startsAt: new Date(Date.now() + 3_600_000).toISOString(), odds: { home: '2.00', draw: '3.00', away: '4.00' } },
  });
  t.equal(event.status, 201, JSON.stringify(event.body));
  const eventId = event.body.id as string;

  await t.test('register → deposit → bet → settle across hosts', async (t) => {
    const token = tokens[1]!;
    const opening = (await call(edge, '/api/wallet', { token })).body.balance as string;
    const deposit = await postWithRetries(edge, '/api/wallet/deposit', { token, body: { amount: '50.00' } });
    t.equal(deposit.answer.status, 201, JSON.stringify(deposit.answer.body));
    const bet = await postWithRetries(edge, '/api/bets', { token, body: { eventId, selection: 'home', odds: '2.00', amount: '10.00' } });
    t.equal(bet.answer.status, 201, JSON.stringify(bet.answer.body));
    t.equal((await call(edge, '/api/wallet', { token })).body.balance, (Number(opening) + 40).toFixed(2), 'deposited 50, staked 10');
  });

  await t.test('an app host dies, is unplugged, comes back: the API keeps serving', async (t) => {
    // Background traffic for the whole outage: GETs must all succeed; POSTs are retried.
    let running = true;
    // While app2 is unplugged, a request it had already accepted waits on the data host it can
    // no longer reach and ends, when the cable is back, as the service's database-timeout 500:
    // nginx must not pass a request that reached a service on to another one, so the client
    // retries that GET once. A crash (app1) needs no retry: nginx sends the request elsewhere.
    let phase: 'crash' | 'partition' = 'crash';
    const failedGets: string[] = [];
    let getsRetriedAfterPartition = 0;
    const servedDuringOutage = new Set<string>();
    let gets = 0;
    const get = (route: string, token: string) => call(edge, route, { token }).catch((error: Error) => ({ status: 0, servedBy: null, body: error.message }));
    const readers = tokens.slice(2).map(async (token) => {
      while (running) {
        for (const route of ['/api/wallet', '/api/events', '/api/bets']) {
          let answer = await get(route, token);
          gets++;
          if (answer.status !== 200 && phase === 'partition') {
            getsRetriedAfterPartition++;
            answer = await get(route, token);
          }
          if (answer.status !== 200) failedGets.push(`${phase} ${route}: ${answer.status} ${JSON.stringify(answer.body)}`);
          else servedDuringOutage.add(answer.servedBy!);
        }
      }
    });
    // Two writers, so that a POST is likely in flight on the host when it dies.
    const writers = await Promise.all(
      tokens.slice(2).map(async (token) => ({
        token,
        opening: Number((await call(edge, '/api/wallet', { token })).body.balance),
        deposits: 0,
        bets: 0,
      })),
    );
    const writes = { retried: 0, failed: [] as string[] };
    const writerLoops = writers.map(async (writer) => {
      while (running) {
        const deposit = await postWithRetries(edge, '/api/wallet/deposit', { token: writer.token, body: { amount: '1.00' } });
        if (deposit.answer.status === 201) writer.deposits++;
        else writes.failed.push(`deposit: ${deposit.answer.status} ${JSON.stringify(deposit.answer.body)}`);
        const bet = await postWithRetries(edge, '/api/bets', { token: writer.token, body: { eventId, selection: 'away', odds: '4.00', amount: '1.00' } });
        if (bet.answer.status === 201) writer.bets++;
        else writes.failed.push(`bet: ${bet.answer.status} ${JSON.stringify(bet.answer.body)}`);
        writes.retried += deposit.attempts - 1 + bet.attempts - 1;
      }
    });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      await pause(1_000);
      await rehearsal.killAppHost('app1');
      servedDuringOutage.clear();
      await pause(3_000);
      t.same([...servedDuringOutage].filter((id) => id.endsWith('app1')), [], 'nothing is served by the dead host');
      await rehearsal.startAppHost('app1');
      // nginx skips a failed instance for fail_timeout (2 s), then tries it again.
      await waitFor(async () => servedDuringOutage.has('wallet-app1') && servedDuringOutage.has('bets-app1'), { what: 'app1 taking traffic again', timeoutMs: 30_000 });
      t.pass('app1 takes traffic again after its restart');

      phase = 'partition';
      setHostLink(hosts.app2, false);
      await pause(4_000);
      setHostLink(hosts.app2, true);
      servedDuringOutage.clear();
      await waitFor(async () => servedDuringOutage.has('wallet-app2') && servedDuringOutage.has('bets-app2'), { what: 'app2 taking traffic again', timeoutMs: 30_000 });
      t.pass('app2 takes traffic again once plugged back in');
    } finally {
      // Also when an assertion above throws: the loops must end before the hosts go.
      running = false;
      await Promise.allSettled([...readers, ...writerLoops]);
    }
    t.same(failedGets, [], `all ${gets} GETs succeeded during the outages`);
    t.same(writes.failed, [], 'every retried POST ended in success');
    for (const writer of writers) {
      t.ok(writer.deposits > 0 && writer.bets > 0, `${writer.deposits} deposits and ${writer.bets} bets answered 201`);
      const transactions = await listAll(edge, '/api/wallet/transactions', writer.token);
      t.equal(transactions.filter((entry) => entry.type === 'deposit').length, writer.deposits, 'one deposit per Idempotency-Key');
      t.equal((await listAll(edge, '/api/bets', writer.token)).length, writer.bets, 'one bet per Idempotency-Key');
      // A bets instance killed between the wallet debit and its bet leaves a debit without a bet;
      // the client's retry places the bet (with a debit of its own), and bets' reconciler voids
      // the orphan once it is RECONCILE_AFTER_MS (30 s) old, giving the stake back.
      const expected = (writer.opening + writer.deposits - writer.bets).toFixed(2);
      let balance = '';
      await waitFor(
        async () => {
          balance = (await call(edge, '/api/wallet', { token: writer.token })).body.balance as string;
          return balance === expected;
        },
        { what: `the balance to settle at ${expected}`, timeoutMs: 60_000, intervalMs: 1_000 },
      ).catch(() => undefined);
      t.equal(balance, expected, 'the balance moved by exactly those (after reconciliation)');
    }
    t.comment(`${gets} GETs (${getsRetriedAfterPartition} retried once after the partition), ${writers.reduce((sum, writer) => sum + writer.deposits + writer.bets, 0)} POSTs, ${writes.retried} retried by the client`);
  });

  await t.test('settlement pays out across hosts and the audits pass', async (t) => {
    t.equal((await call(edge, `/api/admin/events/${eventId}`, { method: 'PATCH', token: admin, body: { status: 'live' } })).status, 200);
    const settle = await call(edge, `/api/admin/events/${eventId}/settle`, { method: 'POST', token: admin, body: { result: 'home' } });
    t.equal(settle.status, 200, JSON.stringify(settle.body));
    const token = tokens[1]!;
    await waitFor(async () => ((await call(edge, '/api/bets', { token })).body as { status: string }[]).every((bet) => bet.status === 'won'), { what: 'the payout', timeoutMs: 20_000 });
    // What `pnpm --filter @ludic/bets run audit` runs (the bets audit, then the wallet's).
    const auditArgs = runtime === 'dist' ? [path.join(repoRoot, 'services/bets/dist/audit.js')] : ['--conditions=ludic-source', '--import=tsx', path.join(repoRoot, 'services/bets/src/audit.ts')];
    const audit = spawnSync(process.execPath, auditArgs, {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DATABASE_URL: rehearsal.databaseUrl, AUDIT_IN_FLIGHT_MS: '0' },
    });
    t.equal(audit.status, 0, `audit:\n${audit.stdout}${audit.stderr}`);
  });
});

t.test('the rehearsal leaves no namespace or link behind', async (t) => {
  t.same(staleResources(), { namespaces: [], links: [] });
});
