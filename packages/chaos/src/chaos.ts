import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive, startPrivateStack, type Runtime, type ServiceName } from '@ludic/stack';
import { checkInvariants, runServiceAudits, waitForRepairs } from './checks.js';
import { ChaosClient } from './client.js';
import { faultWindow, planFaults, runFaults } from './faults.js';
import { createLoadState, registerAdmin, runAdmin, runVirtualUser, settleEvent } from './load.js';
import { createRandom } from './prng.js';
import { chaosFailures, classifyServerFailures, renderSummary, tallyAttempts, tallyKeys, type ChaosReport } from './report.js';

export interface ChaosOptions {
  durationSeconds: number;
  seed: number;
  virtualUsers: number;
  /** The bound on the services' recovery after the PostgreSQL restart. */
  maxRecoverySeconds: number;
  runtime: Runtime;
  /** PostgreSQL and Redis data, logs, nginx runtime. */
  workDir: string;
  /** Where latest.json and latest.md go (none when undefined). */
  outputDir?: string;
  command: string;
  log(message: string): void;
}

const UNLIMITED = '1000000000';
/** The reconciler judges stake debits older than this (see chaosEnv). */
const RECONCILE_AFTER_MS = 8_000;

/**
 * ./scripts/up's environment with every limit that would turn one machine's load into 429s
 * raised, and bets' timers short enough for a run of a minute: a bet transaction lasts at most
 * 3 s plus two wallet calls of 1.5 s, the reconciler judges debits older than 8 s every
 * 0.5 s, and a credit whose deliverer died is taken over after 5 s.
 */
export const chaosEnv: Record<ServiceName, Record<string, string>> = {
  'auth-gateway': { USER_RATE_LIMIT_MAX: UNLIMITED, JWT_ACCESS_TTL_SECONDS: '3600', LOGIN_RATE_LIMIT_MAX: UNLIMITED, REGISTER_RATE_LIMIT_MAX: UNLIMITED },
  wallet: { USER_RATE_LIMIT_MAX: UNLIMITED, JWT_ACCESS_TTL_SECONDS: '3600' },
  bets: {
    USER_RATE_LIMIT_MAX: UNLIMITED,
    JWT_ACCESS_TTL_SECONDS: '3600',
    BET_TRANSACTION_DEADLINE_MS: '3000',
    WALLET_TIMEOUT_MS: '1500',
    DATABASE_STATEMENT_TIMEOUT_MS: '2000',
    RECONCILE_AFTER_MS: String(RECONCILE_AFTER_MS),
    RECONCILE_INTERVAL_MS: '500',
    OUTBOX_INTERVAL_MS: '500',
    OUTBOX_LEASE_MS: '5000',
    OUTBOX_MAX_BACKOFF_MS: '2000',
  },
};

/** One chaos run: stack up, load under faults, repairs, checks; the stack is always stopped. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const startedAt = new Date().toISOString();
  const durationMs = options.durationSeconds * 1000;
  const random = createRandom(options.seed);
  options.log(`seed ${options.seed}; starting a private stack in ${options.workDir}`);
  // PostgreSQL runs as the postgres user when we are root: it must be able to enter workDir.
  chmodSync(options.workDir, 0o755);
  const bootStartedAt = Date.now();
  const stack = await startPrivateStack({
    infrastructure: { workDir: path.join(options.workDir, 'data'), databaseName: 'ludic_chaos' },
    runtime: options.runtime,
    instancesPerService: 2,
    logDir: path.join(options.workDir, 'logs'),
    name: 'chaos',
    nodeEnv: 'production',
    logLevel: 'warn',
    extraEnv: (service) => chaosEnv[service],
    seedFixtures: false,
  });
  try {
    const client = new ChaosClient(stack.url);
    const state = createLoadState(client);
    const admin = await registerAdmin(state, stack.adminEmail);
    const plan = planFaults(random.fork(0), durationMs);
    options.log(`stack up after ${((Date.now() - bootStartedAt) / 1000).toFixed(1)} s`);
    options.log(
      `load for ${options.durationSeconds} s with ${options.virtualUsers} virtual users; faults until ${plan.faultsEndAt / 1000} s: PostgreSQL restart at ${(plan.postgresAt / 1000).toFixed(1)} s, Redis restarts at ${plan.redisAt.map((at) => (at / 1000).toFixed(1)).join(', ')} s, SIGKILLs every 1–2.5 s`,
    );
    const loadStartedAt = Date.now();
    const loadEndsAt = loadStartedAt + durationMs;
    const eventLifetimeMs = Math.min(10_000, Math.max(4_000, durationMs / 6));
    const [faultLog] = await Promise.all([
      runFaults({ stack, plan, random: random.fork(1), loadStartedAt, client, admin, say: (message) => options.log(`[${((Date.now() - loadStartedAt) / 1000).toFixed(1)} s] ${message}`) }),
      runAdmin(state, random.fork(2), admin.token, loadEndsAt, eventLifetimeMs),
      ...Array.from({ length: options.virtualUsers }, (_, index) => runVirtualUser(state, random.fork(100 + index), `${options.seed}-${index}`, loadEndsAt)),
    ]);
    const loadSeconds = (Date.now() - loadStartedAt) / 1000;
    options.log(`load over after ${loadSeconds.toFixed(1)} s: ${client.attempts.length} requests; checking every instance is back`);

    const notBack = faultLog.records.filter((record) => record.backAt === undefined).map((record) => `${record.target} (${record.error ?? 'unknown'})`);
    let readyAfterFaults = true;
    let readyError: string | undefined;
    try {
      const dead = Object.values(stack.instances)
        .flat()
        .filter((instance) => instance.process.pid === undefined || !isAlive(instance.process.pid) || instance.process.exitCode !== null);
      if (dead.length > 0) throw new Error(`not running: ${dead.map((instance) => instance.serverId).join(', ')}`);
      await stack.waitUntilReady(60_000);
    } catch (error) {
      readyAfterFaults = false;
      readyError = (error as Error).message.split('\n')[0];
    }

    // Every event still open is settled now, so every bet ends won or lost and every winner's
    // credit goes through the outbox before the audits.
    for (const event of state.events.filter((candidate) => !candidate.settled)) await settleEvent(state, random.fork(3), admin.token, event.id);
    options.log('waiting for the reconciler and the settlement outbox');
    const repairWait = await waitForRepairs(stack.databaseUrl, RECONCILE_AFTER_MS + 60_000);
    options.log(`repairs ${repairWait.done ? 'done' : 'NOT done'} after ${(repairWait.waitedMs / 1000).toFixed(1)} s; auditing`);
    const audit = await runServiceAudits(options.runtime, stack.databaseUrl);
    const { checks, repairs, money } = await checkInvariants(stack.databaseUrl, state.keys, RECONCILE_AFTER_MS);

    const runEnd = Date.now();
    const records = faultLog.records.map((record) => ({ ...record, window: faultWindow(record, faultLog.postgres, runEnd) }));
    const kills: Record<string, number> = {};
    for (const record of records) if (record.kind === 'kill' && record.service) kills[record.service] = (kills[record.service] ?? 0) + 1;
    const partial: Omit<ChaosReport, 'failures'> = {
      startedAt,
      command: options.command,
      seed: options.seed,
      settings: { durationSeconds: options.durationSeconds, virtualUsers: options.virtualUsers, instancesPerService: 2, maxRecoverySeconds: options.maxRecoverySeconds, serviceEnv: chaosEnv },
      load: {
        seconds: loadSeconds,
        ...tallyAttempts(client.attempts),
        keys: tallyKeys(state.keys),
        players: state.players.length,
        unfinishedAccountRequests: state.unfinishedAccountRequests,
        events: { created: state.events.length, settled: state.events.filter((event) => event.settled).length },
      },
      faults: {
        kills,
        redisRestarts: records.filter((record) => record.kind === 'redis restart').length,
        postgresRestarts: records.filter((record) => record.kind === 'postgres restart').length,
        records,
        ...(faultLog.postgres ? { postgres: faultLog.postgres } : {}),
        notBack,
        readyAfterFaults,
        ...(readyError ? { readyError } : {}),
      },
      serverFailures: classifyServerFailures(client.attempts, records.map((record) => record.window)),
      repairWait: { seconds: repairWait.waitedMs / 1000, done: repairWait.done, state: repairWait.state },
      repairs,
      money,
      invariants: checks,
      violations: checks.reduce((sum, check) => sum + check.violations, 0) + Object.values(audit.failedChecks).reduce((sum, n) => sum + n, 0),
      audit,
    };
    const report: ChaosReport = { ...partial, failures: chaosFailures(partial) };
    if (options.outputDir) {
      mkdirSync(options.outputDir, { recursive: true });
      writeFileSync(path.join(options.outputDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(path.join(options.outputDir, 'latest.md'), renderSummary(report));
    }
    return report;
  } finally {
    const stoppingAt = Date.now();
    await stack.stop();
    options.log(`stack stopped in ${((Date.now() - stoppingAt) / 1000).toFixed(1)} s`);
  }
}
