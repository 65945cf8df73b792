import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import YAML from 'yaml';
import { getFreePort, spawnLogged, startTestStack, stopChild, testDir, waitFor, logTail, type TestStack } from '@ludic/stack';

/**
 * Observability against the real services: their /metrics pass Prometheus' own linter, the
 * business counters move with real traffic, the committed Prometheus config scrapes every
 * instance, every dashboard query names only exported metrics and returns data from a real
 * Prometheus, and one request id follows a bet from the bets service into the wallet.
 */

const here = path.dirname(new URL(import.meta.url).pathname);
const services = ['auth-gateway', 'wallet', 'bets'] as const;

async function call(base: string, route: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${base}${route}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Sample values by series (`name{labels}` exactly as exported). */
function samples(exposition: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    values.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return values;
}

function exportedNames(exposition: string): Set<string> {
  return new Set([...samples(exposition).keys()].map((series) => series.replace(/\{.*$/, '')));
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
/** Metrics Prometheus makes itself for every target. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/** The metric names a PromQL expression reads (not functions, labels, grouping or keywords). */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = bare.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g) ?? [];
  return [...new Set(names.filter((name) => !PROMQL_WORDS.has(name.toLowerCase())))];
}

interface DashboardPanel {
  title: string;
  targets: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(path.join(here, 'grafana/dashboards/ludic-overview.json'), 'utf8')) as { panels: DashboardPanel[] };
const dashboardQueries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })));

t.test('the PromQL name extractor reads names, not functions or labels', async (t) => {
  t.same(metricNamesIn('sum by (job, le) (rate(a_total{x=~"b|c"}[5m])) / on (job) b_seconds or c * 0'), ['a_total', 'b_seconds', 'c']);
  t.same(metricNamesIn('histogram_quantile(0.99, sum by (le) (rate(h_bucket[$__rate_interval])))'), ['h_bucket']);
});

t.test('the Prometheus configs pass promtool check config', async (t) => {
  for (const file of ['prometheus.yml', 'prometheus.compose.yml']) {
    const result = spawnSync('promtool', ['check', 'config', path.join(here, 'prometheus', file)], { encoding: 'utf8' });
    t.equal(result.status, 0, `${file}: ${result.stdout}${result.stderr}`);
  }
});

t.test('metrics, dashboards and request ids on a running stack', async (t) => {
  const stack = await startTestStack(t, { env: { wallet: { LOG_LEVEL: 'info' }, bets: { LOG_LEVEL: 'info' } } });
  const traceId = `ops-trace-${randomUUID()}`;
  await produceTraffic(t, stack, traceId);

  const exposition = Object.fromEntries(
    await Promise.all(
      services.map(async (service) => {
        const response = await fetch(`${stack.instances[service][0]!.url}/metrics`);
        return [service, await response.text()] as const;
      }),
    ),
  ) as Record<(typeof services)[number], string>;

  await t.test('every /metrics passes promtool check metrics', async (t) => {
    for (const service of services) {
      const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition[service], encoding: 'utf8' });
      t.equal(result.status, 0, `${service}: ${result.stdout}${result.stderr}`);
    }
  });

  await t.test('request, runtime and business metrics move with the traffic', async (t) => {
    for (const service of services) {
      t.match(exposition[service], /^http_request_duration_seconds_bucket\{/m, `${service}: per-route durations`);
      t.match(exposition[service], /^nodejs_eventloop_lag_p99_seconds/m, `${service}: event-loop lag`);
    }
    const bets = samples(exposition.bets);
    t.equal(bets.get('ludic_bets_placed_total'), 1, 'one bet placed');
    t.equal(bets.get('ludic_bets_placed_stake_total'), 12.5, 'its stake');
    t.equal(bets.get('ludic_bets_settled_total{outcome="won"}'), 1, 'settled as won');
    t.equal(bets.get('ludic_bets_settled_stake_total{outcome="won"}'), 12.5);
    t.equal(bets.get('ludic_bets_settled_total{outcome="lost"}'), 0, 'outcomes are exported before they happen');
    t.equal(bets.get('ludic_bets_outbox_undelivered_credits'), 0, 'the payout was delivered');
    t.equal(bets.get('ludic_bets_reconciler_voided_debits_total'), 0, 'nothing needed repair');
    const wallet = samples(exposition.wallet);
    t.equal(wallet.get('ludic_wallet_deposits_total'), 1, 'one deposit (its replay not counted)');
    t.equal(wallet.get('ludic_wallet_deposits_amount_total'), 50);
    const auth = samples(exposition['auth-gateway']);
    t.equal(auth.get('ludic_auth_login_attempts_total{outcome="invalid_credentials"}'), 1, 'the wrong password');
    t.equal(auth.get('ludic_auth_login_attempts_total{outcome="succeeded"}'), 1);
    t.notOk([...exportedNames(exposition.wallet)].some((name) => name.startsWith('ludic_bets_')), 'a service exports only its own business metrics');
  });

  await t.test('every dashboard query names metrics the services export', async (t) => {
    const exported = new Set(services.flatMap((service) => [...exportedNames(exposition[service])]));
    for (const { panel, expr } of dashboardQueries) {
      const unknown = metricNamesIn(expr).filter((name) => !exported.has(name) && !SYNTHETIC.has(name));
      t.same(unknown, [], `${panel}: ${expr}`);
    }
  });

  await t.test('a bet request id appears in the logs of bets and of the wallet', async (t) => {
    const logged = (service: 'bets' | 'wallet') =>
      readFileSync(stack.instances[service][0]!.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { reqId?: string; service?: string; msg?: string; req?: { url?: string } })
        .filter((entry) => entry.reqId === traceId);
    // Lines are written at most 250 ms after they are logged (LOG_BUFFER_BYTES).
    const inBets = await waitFor(async () => logged('bets').some((entry) => entry.service === 'bets' && entry.req?.url === '/api/bets'), {
      what: 'the bet in the bets log', timeoutMs: 5_000,
    });
    const inWallet = await waitFor(async () => logged('wallet').some((entry) => entry.service === 'wallet' && entry.req?.url === '/internal/wallet/debit'), {
      what: 'the debit in the wallet log', timeoutMs: 5_000,
    });
    t.ok(inBets, 'bets logged the bet under the id');
    t.ok(inWallet, 'the wallet logged the debit under the same id');
  });

  await t.test('the committed Prometheus config scrapes every instance and feeds every dashboard query', async (t) => {
    const prometheus = await startPrometheus(t, stack);
    for (const { panel, expr } of dashboardQueries) {
      const query = expr.replaceAll('$__rate_interval', '15s');
      const result = await prometheus.query(query);
      t.ok(result.length > 0, `${panel}: ${query} returns data`);
    }
  });
});

/** Register, fail a login, log in, deposit (and replay it), bet under `traceId`, settle, wait for the payout. */
async function produceTraffic(t: Test, stack: TestStack, traceId: string): Promise<void> {
  const password = 'password-one-two';
  const player = await call(stack.url, '/api/auth/register', { method: 'POST', body: { email: 'ops-player@example.test', password, name: 'Ops Player' } });
  t.equal(player.status, 201);
  const admin = await call(stack.url, '/api/auth/register', { method: 'POST', body: { email: stack.adminEmails, password, name: 'Ops Admin' } });
  t.equal(admin.status, 201);
  const wrong = await call(stack.url, '/api/auth/login', { method: 'POST', body: { email: 'ops-player@example.test', password: 'not-the-password' } });
  t.equal(wrong.status, 401);
  const login = await call(stack.url, '/api/auth/login', { method: 'POST', body: { email: 'ops-player@example.test', password } });
  t.equal(login.status, 200);
  const token = login.body.token as string;
  const depositKey = randomUUID();
  let balanceCents = 0;
  for (let i = 0; i < 2; i++) {
    const deposit = await call(stack.url, '/api/wallet/deposit', { method: 'POST', token, body: { amount: '50.00' }, headers: { 'idempotency-key': depositKey } });
    t.equal(deposit.status, 201, JSON.stringify(deposit.body));
    balanceCents = Math.round(Number(deposit.body.balance) * 100);
  }
  const adminToken = admin.body.token as string;
  const event = await call(stack.url, '/api/admin/events', {
    method: 'POST',
    token: adminToken,
    body: {
      tournament: 'Ops Cup',
      round: 'Final',
      homeTeam: 'Prometheans',
      awayTeam: 'Grafanauts',
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      odds: { home: '2.00', draw: '3.10', away: '3.40' },
    },
  });
  t.equal(event.status, 201, JSON.stringify(event.body));
  const bet = await call(stack.url, '/api/bets', {
    method: 'POST',
    token,
    body: { eventId: event.body.id, selection: 'home', odds: '2.00', amount: '12.50' },
    headers: { 'idempotency-key': randomUUID(), 'x-request-id': traceId },
  });
  t.equal(bet.status, 201, JSON.stringify(bet.body));
  t.equal((await call(stack.url, `/api/admin/events/${event.body.id}`, { method: 'PATCH', token: adminToken, body: { status: 'live' } })).status, 200);
  const settle = await call(stack.url, `/api/admin/events/${event.body.id}/settle`, { method: 'POST', token: adminToken, body: { result: 'home' } });
  t.equal(settle.status, 200, JSON.stringify(settle.body));
  // Stake 12.50 at 2.00 won: 25.00 back once the outbox has credited it.
  const expected = ((balanceCents - 1250 + 2500) / 100).toFixed(2);
  await waitFor(async () => (await walletBalance(stack, token)) === expected, { what: `the payout (balance ${expected})`, timeoutMs: 15_000 });
}

async function walletBalance(stack: TestStack, token: string): Promise<string> {
  return (await call(stack.url, '/api/wallet', { token })).body.balance as string;
}

/**
 * Runs the real Prometheus on the committed config: only the scrape interval is shortened and
 * the target files name this stack's instances. Stopped on teardown.
 */
async function startPrometheus(t: Test, stack: TestStack) {
  const dir = testDir('prometheus');
  const config = YAML.parse(readFileSync(path.join(here, 'prometheus/prometheus.yml'), 'utf8')) as { global: Record<string, string> };
  config.global.scrape_interval = '1s';
  config.global.scrape_timeout = '1s';
  writeFileSync(path.join(dir, 'prometheus.yml'), YAML.stringify(config));
  mkdirSync(path.join(dir, 'targets'));
  for (const service of services) {
    const targets = stack.instances[service].map((instance) => new URL(instance.url).host);
    writeFileSync(path.join(dir, 'targets', `${service}.yml`), YAML.stringify([{ targets }]));
  }
  const port = await getFreePort();
  const logFile = path.join(dir, 'prometheus.log');
  const child = spawnLogged({
    command: 'prometheus',
    args: [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    cwd: dir,
    env: process.env,
    logFile,
  });
  t.teardown(() => stopChild(child));
  const base = `http://127.0.0.1:${port}`;
  const query = async (expr: string): Promise<unknown[]> => {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  };
  const instances = services.reduce((n, service) => n + stack.instances[service].length, 0);
  // Three scrapes of every instance, so every rate() has two samples in its window.
  await waitFor(
    async () => {
      const up = await query('sum(up) and sum(count_over_time(up[15s])) >= 3 * count(up)').catch(() => []);
      return up.length > 0 && Number((up[0] as { value: [number, string] }).value[1]) === instances;
    },
    { what: `Prometheus scraping all ${instances} instances`, timeoutMs: 30_000, explain: () => logTail(logFile) },
  );
  return { query };
}
