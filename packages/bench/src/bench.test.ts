import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createTestDatabase, testDir, testRedisUrl, testServiceRuntime } from '@ludic/stack';
import { runBench, type BenchReport } from './bench.js';
import { quantile } from './ceilings.js';
import { scenarioNames } from './scenarios.js';
import { targetChecks } from './targets.js';
import { benchFailures } from './verdict.js';

// A smoke pass of the whole suite: it proves the suite runs end to end and leaves the money
// straight. Nothing here judges speed; numbers come from scripts/bench on a quiet machine.
t.test('a quick run measures every scenario and ceiling with no errors and passing audits', async (t) => {
  const database = await createTestDatabase(t);
  const workDir = testDir('bench');
  const outputDir = path.join(workDir, 'out');
  const report = await runBench({
    durationSeconds: 2,
    warmupSeconds: 1,
    connections: 8,
    users: 4,
    instancesPerService: 2,
    poolSize: 4,
    runtime: testServiceRuntime(),
    infrastructure: { databaseUrl: database.url, redisUrl: testRedisUrl() },
    workDir,
    outputDir,
    command: 'bench.test.ts',
    log: (message) => t.comment(message),
  });

  t.same(benchFailures(report), [], 'no errors, no non-2xx, audits pass, every ceiling measured');
  t.same(
    report.scenarios.map((row) => row.scenario),
    scenarioNames,
    'every scenario, in order',
  );
  for (const row of report.scenarios) {
    t.ok(row.requests > 0 && row.requestsPerSecond > 0, `${row.scenario}: requests completed`);
    t.ok(row.ceilingPerSecond > 0, `${row.scenario}: held against ${row.ceiling}`);
    for (const service of ['auth-gateway', 'wallet', 'bets']) {
      t.ok((row.peakRssBytes[service] ?? 0) > 0, `${row.scenario}: ${service} RSS sampled`);
      t.ok((row.cpuMsPerRequest[service] ?? -1) >= 0, `${row.scenario}: ${service} CPU per request measured`);
    }
  }
  // Every scenario goes through one service at least: its CPU time cannot be zero.
  for (const row of report.scenarios) {
    t.ok(Object.values(row.cpuMsPerRequest).some((ms) => ms > 0), `${row.scenario}: some service spent CPU on it`);
  }
  // Each measured ratio is against its ceiling run right before and right after the scenario.
  for (const row of report.scenarios) {
    t.equal(row.ceilingRunsPerSecond.length, row.scenario === 'mixed (80% reads, 20% bets)' ? 1 : 2, `${row.scenario}: bracketed by its ceiling`);
    const mean = row.ceilingRunsPerSecond.reduce((sum, rate) => sum + rate, 0) / row.ceilingRunsPerSecond.length;
    t.ok(Math.abs(row.ceilingPerSecond - mean) < 1e-9 && Math.abs(row.ratio - row.requestsPerSecond / mean) < 1e-9, `${row.scenario}: ratio against the mean of the bracket`);
  }
  t.same(
    Object.fromEntries(Object.entries(report.ceilings).map(([name, ceiling]) => [name, ceiling.runsPerSecond?.length])),
    { 'fastify hello-world via nginx': 5, 'bet SQL, many users': 2, 'bet SQL, one hot row': 2, 'argon2id verify': 2, 'blend (80% hello-world, 20% bet SQL)': undefined },
    'ceiling runs: hello-world around the three reads, the rest around their scenario',
  );
  t.same(Object.keys(report.ceilings).sort(), ['argon2id verify', 'bet SQL, many users', 'bet SQL, one hot row', 'blend (80% hello-world, 20% bet SQL)', 'fastify hello-world via nginx']);
  t.ok(report.audits.hotWallet.bets > 0, 'the hot wallet took bets');
  t.equal(report.audits.hotWallet.balanceMinor, report.audits.hotWallet.expectedMinor, 'the hot wallet holds exactly opening + deposit - stakes');

  const written = JSON.parse(readFileSync(path.join(outputDir, 'latest.json'), 'utf8')) as BenchReport;
  t.same(written.scenarios.map((row) => row.scenario), scenarioNames, 'latest.json has every scenario');
  t.match(written.machine, { cpus: Number, node: process.version, postgres: /^PostgreSQL \d+/, nginx: /^\d+\.\d+/ });
  const table = readFileSync(path.join(outputDir, 'latest.md'), 'utf8');
  for (const name of [...scenarioNames, ...Object.keys(report.ceilings)]) t.ok(table.includes(`| ${name} |`), `latest.md has a row for ${name}`);
});

t.test('the verdict names every kind of unusable run', async (t) => {
  const row = { scenario: 'GET /api/wallet', requests: 10, errors: 0, non2xx: 0, failureSamples: [] as string[] };
  const clean = {
    audits: { walletAudit: { passed: true, output: '' }, crossAudit: { passed: true, output: '' }, hotWallet: { balanceMinor: '5', expectedMinor: '5', bets: 1, overdrawn: false } },
    scenarios: [row],
    ceilings: { 'argon2id verify': { operationsPerSecond: 10, errors: 0 } },
  } as unknown as BenchReport;
  t.same(benchFailures(clean), []);
  const broken = {
    audits: { walletAudit: { passed: false, output: 'x' }, crossAudit: { passed: false, output: 'y' }, hotWallet: { balanceMinor: '-1', expectedMinor: '5', bets: 1, overdrawn: true } },
    scenarios: [{ ...row, errors: 1, non2xx: 2, failureSamples: ['429 {}'] }, { ...row, scenario: 'GET /api/bets', requests: 0 }],
    ceilings: { 'argon2id verify': { operationsPerSecond: 0, errors: 3 } },
  } as unknown as BenchReport;
  const failures = benchFailures(broken);
  for (const expected of [/^wallet audit/, /^cross-service audit/, /^hot wallet balance -1/, /1 errors/, /2 non-2xx \(429/, /no request completed/, /3 errors/, /nothing measured/]) {
    t.ok(failures.some((failure) => expected.test(failure)), `names ${expected}`);
  }
  t.equal(failures.length, 8);
});

t.test('the targets table judges each target on the run', async (t) => {
  const scenario = (name: string, ratio: number, p99Ms = 10, rssMb = 100) => ({
    scenario: name,
    ratio,
    p99Ms,
    requestsPerSecond: 100,
    ceiling: 'c',
    errors: 0,
    non2xx: 0,
    peakRssBytes: { wallet: rssMb * 1048576 },
  });
  const report = (paced99: number, walletRatio: number, rssMb: number) =>
    ({
      audits: { hotWallet: { bets: 3, overdrawn: false } },
      scenarios: [
        scenario('GET /api/wallet', walletRatio, 10, rssMb),
        scenario('POST /api/bets (many users)', 0.4),
        scenario('POST /api/bets (many users, paced)', 0.35, paced99),
        scenario('POST /api/bets (one user)', 0.6),
        scenario('POST /api/auth/login', 0.9),
      ],
    }) as unknown as BenchReport;
  t.ok(targetChecks(report(40, 0.6, 100)).every((check) => check.met), 'all met');
  const missed = targetChecks(report(51, 0.49, 150)).filter((check) => !check.met).map((check) => check.target);
  t.equal(missed.length, 3, missed.join('; '));
  t.match(missed.join('\n'), /GET \/api\/wallet.*\n.*p99 ≤ 50 ms.*\n.*150 MB/);
});

t.test('quantile takes the nearest rank', async (t) => {
  const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
  t.equal(quantile(sorted, 0.5), 50);
  t.equal(quantile(sorted, 0.99), 99);
  t.equal(quantile([7], 0.99), 7);
  t.equal(quantile([], 0.5), 0);
});
