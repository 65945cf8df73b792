/**
 * Failover: two instances of every service, bets reaching the wallet through the internal load
 * balancer. Under a bounded load of bets, deposits and reads, one wallet and one bets instance
 * are SIGKILLed. No read fails (nginx moves it); every POST, retried by its client with the
 * same Idempotency-Key, ends with exactly one effect; balances add up; the cross-service
 * audit finds nothing.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import t from 'tap';
import { repoRoot } from './paths.js';
import { startTestStack } from './testkit.js';
import { waitFor } from './wait.js';

const PLAYERS = 4;
const WORKERS = 6;
const LOAD_MS = 10_000;
const KILL_AFTER_MS = 3_000;
const STAKE = '1.00';
const DEPOSIT = '5.00';

interface Answer {
  status: number;
  body: Record<string, any>;
}

t.test('SIGKILL one wallet and one bets instance under load: nothing idempotent fails, every POST applies once', async (t) => {
  const bets = {
    // Short windows so the reconciler settles an orphaned debit within the test: a bet
    // transaction lasts at most 3 s + 2 × 2 s, the reconciler judges debits older than 8 s.
    BET_TRANSACTION_DEADLINE_MS: '3000',
    WALLET_TIMEOUT_MS: '1500',
    DATABASE_STATEMENT_TIMEOUT_MS: '2000',
    RECONCILE_AFTER_MS: '8000',
    RECONCILE_INTERVAL_MS: '500',
    USER_RATE_LIMIT_MAX: '1000000',
  };
  const stack = await startTestStack(t, { instancesPerService: 2, env: { bets, wallet: { USER_RATE_LIMIT_MAX: '1000000' } } });

  const call = async (method: string, path: string, token?: string, body?: unknown, key?: string): Promise<Answer> => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };

  await t.test('the internal load balancer: wallet internal routes only, the credential still required', async (t) => {
    const internal = async (path: string, token?: string) => {
      const response = await fetch(`${stack.internalUrl}${path}`, { headers: token ? { 'x-internal-token': token } : {}, signal: AbortSignal.timeout(5_000) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    t.equal((await internal('/internal/wallet/entries?reference=bet:none', stack.internalToken)).status, 200, 'with the credential');
    t.equal((await internal('/internal/wallet/entries?reference=bet:none')).status, 401, 'without it');
    for (const path of ['/api/wallet', '/internal/bets/anything', '/metrics', '/ready']) {
      t.match(await internal(path, stack.internalToken), { status: 404, body: { statusCode: 404, code: 'NOT_FOUND' } }, `${path} is not routed`);
    }
    t.match(await internal('/health'), { status: 200, body: { service: 'wallet' } }, "bets' readiness probe of the wallet");
  });

  const admin = (await call('POST', '/api/auth/register', undefined, { email: stack.adminEmails, password: 'failover-pass-1', name: 'Admin' })).body.token as string;
  const startsAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  const event = await call('POST', '/api/admin/events', admin, {
    tournament: 'Failover Cup', round: 'Final', homeTeam: 'Home', awayTeam: 'Away', startsAt, odds: { home: '2.00', draw: '3.00', away: '4.00' },
  });
  t.equal(event.status, 201, 'event');
  const players: { token: string; opening: bigint }[] = [];
  for (let i = 0; i < PLAYERS; i += 1) {
    const session = await call('POST', '/api/auth/register', undefined, { email: `failover-${i}@ludic.test`, password: 'failover-pass-1', name: `Player ${i}` });
    const wallet = await call('GET', '/api/wallet', session.body.token);
    t.equal(wallet.status, 200, `player ${i} wallet`);
    players.push({ token: session.body.token, opening: BigInt(String(wallet.body.balance).replace('.', '')) });
  }

  const stats = { reads: 0, readFailures: [] as string[], posts: 0, retried: 0, firstAttemptFailures: new Map<number | string, number>() };
  const applied: { player: number; kind: 'bet' | 'deposit'; key: string }[] = [];
  const unfinished: string[] = [];

  /** A client that retries a POST with the same key until it has an answer that is not "try again". */
  const postUntilDone = async (player: number, kind: 'bet' | 'deposit', key: string) => {
    const path = kind === 'bet' ? '/api/bets' : '/api/wallet/deposit';
    const body = kind === 'bet' ? { eventId: event.body.id, selection: 'home', odds: '2.00', amount: STAKE } : { amount: DEPOSIT };
    const deadline = Date.now() + 30_000;
    for (let attempt = 0; Date.now() < deadline; attempt += 1) {
      let outcome: number | string;
      try {
        const answer = await call('POST', path, players[player]!.token, body, key);
        if (answer.status === 201) {
          applied.push({ player, kind, key });
          if (attempt > 0) stats.retried += 1;
          return;
        }
        outcome = answer.status === 409 ? `409 ${answer.body.code}` : answer.status;
        if (answer.status < 500 && answer.body.code !== 'IDEMPOTENCY_IN_PROGRESS') {
          unfinished.push(`${kind} ${key}: ${answer.status} ${answer.body.code}`);
          return;
        }
      } catch (error) {
        outcome = (error as Error).name;
      }
      if (attempt === 0) stats.firstAttemptFailures.set(outcome, (stats.firstAttemptFailures.get(outcome) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    unfinished.push(`${kind} ${key}: no answer within 30 s`);
  };

  const loadEnds = Date.now() + LOAD_MS;
  let serial = 0;
  const worker = async (w: number) => {
    while (Date.now() < loadEnds) {
      const player = (w + serial) % PLAYERS;
      const n = ++serial;
      if (n % 3 === 0) {
        stats.reads += 1;
        const path = ['/api/wallet', '/api/bets', '/api/events', '/api/wallet/transactions'][n % 4]!;
        try {
          const answer = await call('GET', path, players[player]!.token);
          if (answer.status !== 200) stats.readFailures.push(`${path}: ${answer.status} ${answer.body.code}`);
        } catch (error) {
          stats.readFailures.push(`${path}: ${(error as Error).message}`);
        }
      } else {
        stats.posts += 1;
        await postUntilDone(player, n % 3 === 1 ? 'bet' : 'deposit', `failover-${n}`);
      }
    }
  };
  const killer = (async () => {
    await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS));
    stack.instances.wallet[0]!.process.kill('SIGKILL');
    stack.instances.bets[0]!.process.kill('SIGKILL');
  })();
  await Promise.all([killer, ...Array.from({ length: WORKERS }, (_, w) => worker(w))]);
  t.comment(
    `${stats.reads} reads, ${stats.posts} POSTs (${stats.retried} needed a retry; first-attempt failures: ${
      [...stats.firstAttemptFailures].map(([what, n]) => `${what}×${n}`).join(' ') || 'none'
    })`,
  );

  t.same(stats.readFailures, [], 'no read failed: nginx moved them to the live instance');
  // Bets' WALLET_URL is the internal load balancer: were it the killed wallet instance, every
  // bet after the kill would fail until the client gave up. (A first attempt may still get a
  // 503 when a loaded machine makes the wallet slower than WALLET_TIMEOUT_MS; its retry works.)
  t.same(unfinished, [], 'every POST ended with its effect');
  t.ok(stats.posts > 10, `the load was real (${stats.posts} POSTs)`);

  const db = new pg.Client({ connectionString: stack.database.url });
  await db.connect();
  t.teardown(() => db.end());
  const betKeys = applied.filter((a) => a.kind === 'bet').length;
  const depositKeys = applied.filter((a) => a.kind === 'deposit').length;
  const { rows: [counts] } = await db.query<{ bets: string; deposits: string }>(`
    select (select count(*) from bets.bets) as bets,
           (select count(*) from wallet.ledger_entries where type = 'deposit') as deposits`);
  t.equal(Number(counts!.bets), betKeys, `one bet per bet key (${betKeys})`);
  t.equal(Number(counts!.deposits), depositKeys, `one deposit per deposit key (${depositKeys})`);

  // An orphaned debit (a bets instance killed between the wallet's debit and its commit) is
  // voided by the reconciler: every balance comes to opening + deposits − stakes.
  const minor = (amount: string) => BigInt(amount.replace('.', ''));
  await waitFor(
    async () => {
      for (const [i, player] of players.entries()) {
        const mine = applied.filter((a) => a.player === i);
        const expected = player.opening + BigInt(mine.filter((a) => a.kind === 'deposit').length) * minor(DEPOSIT) - BigInt(mine.filter((a) => a.kind === 'bet').length) * minor(STAKE);
        const wallet = await call('GET', '/api/wallet', player.token);
        if (wallet.status !== 200 || minor(String(wallet.body.balance)) !== expected) return false;
      }
      return true;
    },
    { what: 'every balance = opening + deposits − stakes', timeoutMs: 45_000 },
  );
  t.pass('every balance adds up');

  const audit = await promisify(execFile)(process.execPath, ['--conditions=ludic-source', '--import=tsx', path.join(repoRoot, 'services/bets/src/audit.ts')], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: stack.database.url, AUDIT_IN_FLIGHT_MS: '0' },
    timeout: 60_000,
  }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
  t.equal(audit.code, 0, `the cross-service audit (bets against the ledger, then the wallet's own) passes\n${audit.output.slice(-2000)}`);
});
