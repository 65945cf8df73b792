import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { testDir, testServiceRuntime } from '@ludic/stack';
import { runChaos } from './chaos.js';
import type { Attempt } from './client.js';
import { planFaults } from './faults.js';
import { createRandom } from './prng.js';
import { chaosFailures, classifyServerFailures, STORM_COUNT, type ChaosReport } from './report.js';

// A short chaos pass on a stack of its own (its own PostgreSQL and Redis: this test stops
// them): at least one SIGKILL of every service, a Redis restart and one PostgreSQL restart
// under load, then the audits. Also the issue's "PostgreSQL restart under load: services
// recover by themselves within seconds".
const RECOVERY_BOUND_SECONDS = 15;

t.test('a short chaos pass: every service killed, Redis and PostgreSQL restarted, nothing bent, recovery within seconds', async (t) => {
  const workDir = testDir('chaos');
  const outputDir = path.join(workDir, 'out');
  const report = await runChaos({
    durationSeconds: 22,
    seed: 20261126,
    virtualUsers: 8,
    maxRecoverySeconds: RECOVERY_BOUND_SECONDS,
    runtime: testServiceRuntime(),
    workDir,
    outputDir,
    command: 'chaos.test.ts',
    log: (message) => t.comment(message),
  });

  t.same(report.failures, [], 'no failure of any kind');
  t.equal(report.violations, 0, 'no invariant violation');
  for (const service of ['auth-gateway', 'wallet', 'bets']) t.ok((report.faults.kills[service] ?? 0) >= 1, `${service} was SIGKILLed (${report.faults.kills[service] ?? 0})`);
  t.ok(report.faults.redisRestarts >= 1, `Redis restarted (${report.faults.redisRestarts})`);
  t.equal(report.faults.postgresRestarts, 1, 'PostgreSQL restarted once');
  const recovery = report.faults.postgres?.recoveryMs;
  t.ok(recovery !== undefined && recovery < RECOVERY_BOUND_SECONDS * 1000, `every service served a database request ${recovery} ms after PostgreSQL was back`);
  t.ok(report.load.keys.bet.applied > 0 && report.load.keys.deposit.applied > 0, `the load was real (${report.load.keys.bet.applied} bets, ${report.load.keys.deposit.applied} deposits)`);
  t.equal(report.money.pendingBets, 0, 'every bet settled');
  t.equal(report.audit.exitCode, 0, 'the services audits passed');

  const written = JSON.parse(readFileSync(path.join(outputDir, 'latest.json'), 'utf8')) as ChaosReport;
  t.equal(written.seed, 20261126, 'latest.json records the seed');
  t.match(readFileSync(path.join(outputDir, 'latest.md'), 'utf8'), /Invariant violations: 0\nVerdict: PASSED/, 'latest.md has the verdict');
});

t.test('the same seed gives the same fault plan; PostgreSQL once, Redis clear of it', async (t) => {
  const plan = planFaults(createRandom(7), 60_000);
  t.same(planFaults(createRandom(7), 60_000), plan);
  t.equal(plan.faultsEndAt, 45_000);
  t.ok(plan.postgresAt >= 24_000 && plan.postgresAt <= 30_000, 'PostgreSQL around 45 %');
  t.equal(plan.redisAt.length, 2, 'Redis twice in a minute');
  for (const at of plan.redisAt) t.ok(at < plan.postgresAt - 5_000 || at > plan.postgresAt + 8_000, `Redis at ${at} is clear of PostgreSQL at ${plan.postgresAt}`);
});

t.test('server failures outside fault windows count towards a storm; inside them they do not', async (t) => {
  const failure = (at: number, status = 502): Attempt => ({ kind: 'bet', startedAt: at, endedAt: at + 50, status, code: 'SERVICE_UNAVAILABLE' });
  const inside = Array.from({ length: 20 }, (_, i) => failure(1_000 + i * 10));
  const scattered = Array.from({ length: STORM_COUNT }, (_, i) => failure(20_000 + i * 3_000));
  const burst = Array.from({ length: STORM_COUNT }, (_, i) => failure(40_000 + i * 100, i % 2 ? 0 : 503));
  const windows: [number, number][] = [[900, 2_000]];
  t.match(classifyServerFailures([...inside, ...scattered], windows), { total: 25, insideFaultWindows: 20, outsideFaultWindows: STORM_COUNT, worstSpanOutside: 1 });
  t.match(classifyServerFailures([...inside, ...burst], windows), { outsideFaultWindows: STORM_COUNT, worstSpanOutside: STORM_COUNT });
  const ok = { status: 201, code: '' };
  t.equal(classifyServerFailures([{ ...failure(40_000), ...ok }], []).total, 0, 'a 2xx is no failure');
});

t.test('the verdict names every kind of failure', async (t) => {
  const keys = { applied: 1, rejected: {}, unfinished: 0, replayed: 0 };
  const clean = {
    settings: { maxRecoverySeconds: 15 },
    invariants: [{ name: 'x', description: '', violations: 0, examples: [] }],
    audit: { exitCode: 0, failedChecks: {}, output: '' },
    serverFailures: { worstSpanOutside: 0, outsideExamples: [] },
    faults: { postgresRestarts: 1, postgres: { recoveryMs: 2_000 }, notBack: [], readyAfterFaults: true },
    load: { outcomes: { '201': 3 }, keys: { bet: keys, deposit: keys }, unfinishedAccountRequests: 0 },
    repairWait: { done: true, state: '' },
  } as unknown as ChaosReport;
  t.same(chaosFailures(clean), []);
  const broken = {
    ...clean,
    invariants: [{ name: 'money-conserved-in-total', description: '', violations: 1, examples: ['off by 1'] }],
    audit: { exitCode: 1, failedChecks: { 'won-bet-paid-once': 2 }, output: '' },
    serverFailures: { worstSpanOutside: STORM_COUNT, outsideExamples: ['x'] },
    faults: { postgresRestarts: 1, postgres: { recoveryMs: 20_000 }, notBack: ['wallet-1'], readyAfterFaults: false, readyError: 'bets-2' },
    load: { outcomes: { '500 INTERNAL_ERROR': 1 }, keys: { bet: { ...keys, unfinished: 2 }, deposit: { ...keys, applied: 0 } }, unfinishedAccountRequests: 1 },
    repairWait: { done: false, state: 'outbox' },
  } as unknown as ChaosReport;
  const failures = chaosFailures(broken);
  for (const expected of [/^invariant money-conserved/, /won-bet-paid-once 2/, /^500 answers/, /^5xx storm/, /took 20\.0 s/, /did not come back: wallet-1/, /not every instance was ready/, /2 bet request/, /no deposit was applied/, /registration\/login/, /reconciler and the outbox/]) {
    t.ok(failures.some((failure) => expected.test(failure)), `names ${expected}`);
  }
  t.equal(failures.length, 11);
});
