import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import {
  createTestDatabase,
  generateJwtSigningKey,
  getFreePort,
  getFreePorts,
  logTail,
  repoRoot,
  spawnLogged,
  startEdge,
  startServiceInstance,
  stopChild,
  testDir,
  testRedisUrl,
  testServiceRuntime,
  waitFor,
  type ServiceInstance,
  type ServiceName,
  type SharedServiceConfig,
} from '@ludic/stack';

/**
 * The bare-metal pieces that run here: the systemd units (systemd-analyze verify and its
 * offline security score), logrotate's config, PgBouncer 1.18 in transaction mode in front of
 * every service under real traffic (with the committed pgbouncer.ini and database timeouts),
 * and the backup and restore scripts: back up, wipe, restore, the audits pass.
 */

const here = path.dirname(new URL(import.meta.url).pathname);

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, env: options.env ?? process.env, cwd: options.cwd ?? repoRoot });
}

t.test('systemd units pass systemd-analyze verify and score as hardened', async (t) => {
  const dir = testDir('systemd');
  for (const file of readdirSync(path.join(here, 'systemd'))) {
    const text = readFileSync(path.join(here, 'systemd', file), 'utf8');
    // PocketBase cannot be installed here; verify checks that ExecStart's binary exists.
    writeFileSync(path.join(dir, file), text.replace('/usr/local/bin/pocketbase', '/usr/bin/true'));
  }
  const units = ['ludic-auth-gateway@4101.service', 'ludic-wallet@4201.service', 'ludic-bets@4301.service', 'ludic-migrate@wallet.service', 'ludic-pocketbase.service'];
  const verify = run('systemd-analyze', ['verify', ...units.map((unit) => `./${unit}`)], { cwd: dir });
  t.equal(verify.status, 0, verify.stderr);
  t.equal(verify.stderr.trim(), '', 'no warnings (unknown keys, missing binaries)');
  for (const unit of units.slice(0, 3)) {
    const security = run('systemd-analyze', ['security', '--offline=yes', `./${unit}`], { cwd: dir });
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1]);
    t.ok(exposure <= 2.5, `${unit}: exposure ${exposure} (0 = locked down, 10 = unprotected)`);
  }
  for (const unit of readdirSync(path.join(here, 'systemd')).filter((file) => file.startsWith('ludic-') && file !== 'ludic-pocketbase.service')) {
    const text = readFileSync(path.join(here, 'systemd', unit), 'utf8');
    for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'User=ludic']) t.match(text, new RegExp(`^${line}$`, 'm'), `${unit}: ${line}`);
    t.match(text, /^EnvironmentFile=\/etc\/ludic\/\S+\.env$/m, `${unit}: secrets from an EnvironmentFile`);
  }
});

t.test('the logrotate config parses', async (t) => {
  const result = run('logrotate', ['--debug', '--state', path.join(testDir('logrotate'), 'state'), path.join(here, 'logrotate/ludic')]);
  t.equal(result.status, 0, result.stderr);
  t.notMatch(result.stderr, /error/i, result.stderr);
});

/** The committed pgbouncer.ini with this machine's addresses, files and the test database. */
function pgbouncerIni(options: { port: number; dir: string; postgres: URL; database: string }): string {
  const committed = readFileSync(path.join(here, 'pgbouncer/pgbouncer.ini'), 'utf8');
  const local: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(options.port),
    unix_socket_dir: '',
    auth_file: path.join(options.dir, 'userlist.txt'),
    logfile: path.join(options.dir, 'pgbouncer.log'),
    pidfile: path.join(options.dir, 'pgbouncer.pid'),
  };
  const server = `host=${options.postgres.hostname} port=${options.postgres.port} dbname=${options.database}`;
  return committed
    .split('\n')
    .map((line) => {
      const setting = /^(\w+) = (.*)$/.exec(line);
      if (!setting) return line;
      const [, key, value] = setting as unknown as [string, string, string];
      if (key in local) return `${key} = ${local[key]}`;
      if (key.startsWith('ludic')) return `${key} = ${value.replace(/host=\S+ port=\d+ dbname=\S+/, server)}`;
      return line;
    })
    .join('\n');
}

async function startPgBouncer(t: Test, databaseUrl: string): Promise<{ url: (alias: string) => string; ini: string }> {
  const postgres = new URL(databaseUrl);
  const dir = testDir('pgbouncer');
  const port = await getFreePort();
  const ini = pgbouncerIni({ port, dir, postgres, database: postgres.pathname.slice(1) });
  writeFileSync(path.join(dir, 'pgbouncer.ini'), ini);
  const user = decodeURIComponent(postgres.username);
  const password = decodeURIComponent(postgres.password);
  writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" "${password}"\n`, { mode: 0o600 });
  // PgBouncer refuses to run as root; its files must be readable by the account it runs as.
  const account = process.getuid?.() === 0 ? run('id', ['-u', 'postgres']) : undefined;
  const uid = account?.status === 0 ? Number(account.stdout) : undefined;
  const gid = uid === undefined ? undefined : Number(run('id', ['-g', 'postgres']).stdout);
  if (uid !== undefined) {
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) spawnSync('chown', [`${uid}:${gid}`, path.join(dir, file)]);
  }
  const logFile = path.join(dir, 'stdout.log');
  const child = spawnLogged({ command: 'pgbouncer', args: [path.join(dir, 'pgbouncer.ini')], cwd: dir, logFile, ...(uid === undefined ? {} : { uid, gid }) });
  t.teardown(() => stopChild(child));
  const url = (alias: string) => {
    const through = new URL(databaseUrl);
    through.hostname = '127.0.0.1';
    through.port = String(port);
    through.pathname = `/${alias}`;
    return through.toString();
  };
  await waitFor(
    async () => {
      const client = new pg.Client({ connectionString: url('ludic') });
      await client.connect();
      await client.end();
      return true;
    },
    { what: 'PgBouncer accepting connections', timeoutMs: 15_000, explain: () => `${logTail(logFile)}\n${logTail(path.join(dir, 'pgbouncer.log'))}` },
  );
  return { url, ini };
}

async function call(base: string, route: string, init: { method?: string; token?: string; body?: unknown; key?: boolean } = {}) {
  const response = await fetch(`${base}${route}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.key ? { 'idempotency-key': randomUUID() } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function audit(databaseUrl: string) {
  return run(process.execPath, ['--conditions=ludic-source', '--import=tsx', path.join(repoRoot, 'services/bets/src/audit.ts')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, AUDIT_IN_FLIGHT_MS: '0' },
  });
}

const COUNTED_TABLES = ['auth.users', 'wallet.wallets', 'wallet.ledger_entries', 'bets.events', 'bets.bets', 'bets.settlement_outbox'];

async function countRows(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of COUNTED_TABLES) counts[table] = Number((await client.query(`select count(*) as n from ${table}`)).rows[0].n);
    return counts;
  } finally {
    await client.end();
  }
}

t.test('every service works through PgBouncer in transaction mode; backup, wipe, restore, the audits pass', async (t) => {
  const database = await createTestDatabase(t);
  const psql = run('psql', ['--no-psqlrc', '-v', 'ON_ERROR_STOP=1', '-v', `dbname=${database.name}`, '-f', path.join(here, 'postgres/timeouts.sql'), database.url]);
  t.equal(psql.status, 0, `timeouts.sql: ${psql.stderr}`);
  const bouncer = await startPgBouncer(t, database.url);
  t.match(bouncer.ini, /^pool_mode = transaction$/m, 'the committed default is transaction pooling');

  await t.test('connections through PgBouncer carry the database timeouts', async (t) => {
    const client = new pg.Client({ connectionString: bouncer.url('ludic'), statement_timeout: 5000 });
    await client.connect();
    t.teardown(() => client.end());
    t.equal((await client.query('show statement_timeout')).rows[0].statement_timeout, '5s');
    t.equal((await client.query('show idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout, '10s');
  });

  // Every service through the one transaction-pooled database: requests, bets' workers and
  // its reconciler's lease (two bets instances contend for it every 250 ms).
  const signing = generateJwtSigningKey('pgbouncer-check');
  const [authPort, walletPort, betsPort] = await getFreePorts(3);
  const shared: SharedServiceConfig = {
    databaseUrl: bouncer.url('ludic'),
    redisUrl: testRedisUrl(),
    internalToken: randomUUID() + randomUUID(),
    walletUrl: `http://127.0.0.1:${walletPort}`,
    ...signing,
    adminEmails: 'ops-admin@example.test',
    nodeEnv: 'test',
    logLevel: 'warn',
  };
  const logDir = testDir('pgbouncer-services');
  const start = async (service: ServiceName, port: number, extraEnv: Record<string, string> = {}): Promise<ServiceInstance> => {
    const instance = await startServiceInstance({
      service,
      port: port!,
      serverId: `${service}-pgbouncer`,
      shared,
      runtime: testServiceRuntime(),
      logFile: path.join(logDir, `${service}.log`),
      healthTimeoutMs: 60_000,
      // PgBouncer 1.18 in transaction mode cannot carry named statements (docs/deploy.md):
      // with them, bets and deposits fail with 500s here.
      extraEnv: { DATABASE_PREPARED_STATEMENTS: 'false', ...extraEnv },
    });
    t.teardown(() => instance.stop());
    return instance;
  };
  // The database's statement timeout (5 s, timeouts.sql) is what holds through PgBouncer, so
  // the reconciler waits past a bet transaction's worst case: 2.5 s + 2 × 5 s.
  const reconciling = { BET_TRANSACTION_DEADLINE_MS: '2500', RECONCILE_AFTER_MS: '13000', RECONCILE_INTERVAL_MS: '250' };
  const betsPorts = [betsPort!, await getFreePort()];
  const instances = [
    await start('auth-gateway', authPort!, { REGISTER_RATE_LIMIT_MAX: '1000' }),
    await start('wallet', walletPort!),
    ...(await Promise.all(betsPorts.map((port) => start('bets', port, reconciling)))),
  ];
  const betsInstances = instances.slice(2);
  const edge = await startEdge({ auth: [instances[0]!.url], wallet: [instances[1]!.url], bets: betsInstances.map((instance) => instance.url) }, t);

  await t.test('two bets instances reconcile through PgBouncer: an orphan debit is voided exactly once', async (t) => {
    const session = await call(edge.url, '/api/auth/register', { method: 'POST', body: { email: 'orphan@example.test', password: 'password-one-two', name: 'Orphan' } });
    t.equal(session.status, 201, JSON.stringify(session.body));
    const token = session.body.token as string;
    const deposit = await call(edge.url, '/api/wallet/deposit', { method: 'POST', token, key: true, body: { amount: '50.00' } });
    t.equal(deposit.status, 201, JSON.stringify(deposit.body));
    const funded = deposit.body.balance as string;
    // A debit for a bet that never committed, as a bets instance dying after it would leave.
    const reference = `bet:${randomUUID()}`;
    const debit = await fetch(`${shared.walletUrl}/internal/wallet/debit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': shared.internalToken },
      body: JSON.stringify({ userId: session.body.user.id, amount: '20.00', reference }),
      signal: AbortSignal.timeout(15_000),
    });
    t.equal(debit.status, 200, await debit.text());
    t.equal((await call(edge.url, '/api/wallet', { token })).body.balance, (Number(funded) - 20).toFixed(2), 'debited');
    await waitFor(async () => (await call(edge.url, '/api/wallet', { token })).body.balance === funded, { what: 'the reconciler voiding the orphan', timeoutMs: 45_000 });
    // Both instances keep passing over the window; give a second void the time to happen.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    t.teardown(() => client.end());
    const reversals = await client.query(
      "select e.type from wallet.ledger_entries e join wallet.wallets w on w.id = e.wallet_id where w.user_id = $1 and e.type like 'bet_stake%' order by e.entry_no",
      [session.body.user.id],
    );
    t.same(reversals.rows.map((row) => row.type), ['bet_stake', 'bet_stake_reversal'], 'debited once, reversed once');
    let voids = 0;
    for (const instance of betsInstances) {
      const metrics = await (await fetch(`${instance.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      voids += Number(/^ludic_bets_reconciler_voided_debits_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 'NaN');
    }
    t.equal(voids, 1, 'one void request between both instances: one reconciler at a time');
    const lease = await client.query("select checked_until from bets.reconciler_state where name = 'stake-debits'");
    t.ok(lease.rows[0].checked_until > new Date(Date.now() - 60_000), 'the watermark advanced');
  });

  await t.test('register, deposit, concurrent bets, settlement and payouts through PgBouncer', async (t) => {
    const password = 'password-one-two';
    const register = async (email: string) => {
      const response = await call(edge.url, '/api/auth/register', { method: 'POST', body: { email, password, name: 'Bouncer' } });
      t.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.token as string;
    };
    const admin = await register('ops-admin@example.test');
    const players = await Promise.all([1, 2, 3].map((n) => register(`bouncer-${n}@example.test`)));
    const deposited: string[] = [];
    for (const token of players) {
      const deposit = await call(edge.url, '/api/wallet/deposit', { method: 'POST', token, key: true, body: { amount: '100.00' } });
      t.equal(deposit.status, 201, JSON.stringify(deposit.body));
      deposited.push(deposit.body.balance as string);
    }
    const event = await call(edge.url, '/api/admin/events', {
      method: 'POST',
      token: admin,
      body: { tournament: 'Pool Cup', round: 'Final', homeTeam: 'Poolers', awayTeam: 'Bouncers', startsAt: new Date(Date.now() + 3_600_000).toISOString(), odds: { home: '2.00', draw: '3.00', away: '4.00' } },
    });
    t.equal(event.status, 201, JSON.stringify(event.body));
    const bets = await Promise.all(
      players.flatMap((token) =>
        (['home', 'away', 'home'] as const).map((selection) =>
          call(edge.url, '/api/bets', { method: 'POST', token, key: true, body: { eventId: event.body.id, selection, odds: selection === 'home' ? '2.00' : '4.00', amount: '10.00' } }),
        ),
      ),
    );
    t.same(bets.map((bet) => bet.status), Array(9).fill(201), 'nine concurrent bets placed');
    t.equal((await call(edge.url, `/api/admin/events/${event.body.id}`, { method: 'PATCH', token: admin, body: { status: 'live' } })).status, 200);
    const settle = await call(edge.url, `/api/admin/events/${event.body.id}/settle`, { method: 'POST', token: admin, body: { result: 'home' } });
    t.equal(settle.status, 200, JSON.stringify(settle.body));
    t.equal(settle.body.won, 6);
    // After the deposit: − 30 staked + 2 × 20 won.
    const expected = deposited.map((balance) => (Number(balance) + 10).toFixed(2));
    await waitFor(
      async () => {
        const balances = await Promise.all(players.map(async (token) => (await call(edge.url, '/api/wallet', { token })).body.balance as string));
        return balances.every((balance, i) => balance === expected[i]);
      },
      { what: 'the payouts through PgBouncer', timeoutMs: 20_000 },
    );
    const before = audit(database.url);
    t.equal(before.status, 0, `audit after the traffic:\n${before.stdout}${before.stderr}`);
  });

  await t.test('backup, wipe, restore: the same rows, and the audits pass', async (t) => {
    for (const instance of instances) await instance.stop();
    const counts = await countRows(database.url);
    t.ok(counts['bets.bets']! >= 9 && counts['wallet.ledger_entries']! > 0, JSON.stringify(counts));
    const backupDir = testDir('backups');
    const env = { ...process.env, DATABASE_URL: database.url, KEEP: '2' };
    const backups: string[] = [];
    for (let i = 0; i < 3; i++) {
      const backup = run(path.join(here, 'scripts/backup.sh'), [backupDir], { env });
      t.equal(backup.status, 0, backup.stderr);
      backups.push(backup.stdout.trim());
      // One backup per second at most: the file name carries the second.
      await new Promise((resolve) => setTimeout(resolve, 1_050));
    }
    t.same(readdirSync(backupDir).filter((file) => file.endsWith('.dump')).length, 2, 'KEEP=2 keeps the newest two');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('drop schema auth, wallet, bets cascade');
    await client.end();
    await t.rejects(countRows(database.url), 'wiped');
    const restore = run(path.join(here, 'scripts/restore.sh'), [backups.at(-1)!], { env });
    t.equal(restore.status, 0, restore.stderr);
    t.same(await countRows(database.url), counts, 'every row is back');
    const after = audit(database.url);
    t.equal(after.status, 0, `audit after the restore:\n${after.stdout}${after.stderr}`);
    const again = run(path.join(here, 'scripts/restore.sh'), [backups.at(-1)!], { env });
    t.equal(again.status, 0, `restoring over a live copy replaces it: ${again.stderr}`);
    t.same(await countRows(database.url), counts);
  });
});
