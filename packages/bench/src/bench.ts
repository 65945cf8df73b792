import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Runtime } from '@ludic/stack';
import { argon2Ceiling, betSqlCeiling, type CeilingResult } from './ceilings.js';
import { runLoad, scenarioNames, scenarioRequests, BENCH_STAKE, type LoadResult, type ScenarioName } from './scenarios.js';
import { BENCH_DEPOSIT, openEvents, registerUsers, type BenchUser } from './seed.js';
import { renderTargets, targetChecks } from './targets.js';
import { BENCH_OPENING_BALANCE, runServiceCommand, sampleProcesses, startBenchStack, type BenchInfrastructure, type BenchStack } from './stack.js';

export interface BenchOptions {
  durationSeconds: number;
  /**
   * Unmeasured load of the same requests before each scenario and the hello-world ceiling, so
   * both are measured warm (JIT-compiled, pools full), not the first one to run cold. Default 0.
   */
  warmupSeconds?: number;
  connections: number;
  /** Registered players the many-user scenarios rotate over (plus one hot player). */
  users: number;
  instancesPerService: number;
  poolSize: number;
  runtime: Runtime;
  infrastructure: BenchInfrastructure;
  /** Logs and nginx runtime directories. */
  workDir: string;
  /** Where latest.json and latest.md go. */
  outputDir: string;
  /** The command line, recorded with the results. */
  command: string;
  log(message: string): void;
}

export type CeilingName = 'fastify hello-world via nginx' | 'bet SQL, many users' | 'bet SQL, one hot row' | 'argon2id verify' | 'blend (80% hello-world, 20% bet SQL)';

export interface ScenarioReport extends LoadResult {
  scenario: ScenarioName;
  ceiling: CeilingName;
  /** The mean of the ceiling's runs that bracket this scenario (ceilingRunsPerSecond). */
  ceilingPerSecond: number;
  /** The ceiling measured right before and right after this scenario (one run for derived ceilings). */
  ceilingRunsPerSecond: number[];
  /** requestsPerSecond / ceilingPerSecond. */
  ratio: number;
  /** Peak resident memory of the largest instance of each service, in bytes. */
  peakRssBytes: Record<string, number>;
  /** CPU milliseconds each service (all its instances) spent per completed request. */
  cpuMsPerRequest: Record<string, number>;
}

export interface AuditReport {
  walletAudit: { passed: boolean; output: string };
  crossAudit: { passed: boolean; output: string };
  hotWallet: { balanceMinor: string; expectedMinor: string; bets: number; overdrawn: boolean };
}

export interface BenchReport {
  startedAt: string;
  command: string;
  settings: { durationSeconds: number; warmupSeconds: number; connections: number; users: number; instancesPerService: number; poolSize: number };
  machine: { cpus: number; model: string; memoryBytes: number; loadAverageAtStart: number[]; kernel: string; node: string; postgres: string; nginx: string; autocannon: string };
  ceilings: Record<CeilingName, CeilingResult>;
  scenarios: ScenarioReport[];
  audits: AuditReport;
}

const ceilingOf: Record<ScenarioName, CeilingName> = {
  'GET /api/wallet': 'fastify hello-world via nginx',
  'GET /api/events': 'fastify hello-world via nginx',
  'GET /api/bets': 'fastify hello-world via nginx',
  'POST /api/bets (many users)': 'bet SQL, many users',
  'POST /api/bets (many users, paced)': 'bet SQL, many users',
  'POST /api/bets (one user)': 'bet SQL, one hot row',
  'POST /api/auth/login': 'argon2id verify',
  'mixed (80% reads, 20% bets)': 'blend (80% hello-world, 20% bet SQL)',
};

/** The share of the bet-SQL ceiling the paced bets scenario offers (issue #7's throughput target). */
export const PACED_BETS_SHARE = 0.35;

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** A ceiling over all of its runs in this report: mean rate and latencies, summed counts. */
function combineRuns(runs: readonly CeilingResult[]): CeilingResult {
  return {
    operationsPerSecond: mean(runs.map((run) => run.operationsPerSecond)),
    operations: runs.reduce((sum, run) => sum + run.operations, 0),
    p50Ms: mean(runs.map((run) => run.p50Ms)),
    p99Ms: mean(runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    runsPerSecond: runs.map((run) => run.operationsPerSecond),
  };
}

function holdAgainst(row: ScenarioReport, runs: readonly CeilingResult[]): void {
  row.ceilingRunsPerSecond = runs.map((run) => run.operationsPerSecond);
  row.ceilingPerSecond = mean(row.ceilingRunsPerSecond);
  row.ratio = row.ceilingPerSecond > 0 ? row.requestsPerSecond / row.ceilingPerSecond : 0;
}

function toMinor(money: string): bigint {
  const [whole, fraction = ''] = money.split('.');
  return BigInt(whole ?? '0') * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** First line a command prints (nginx -v writes to stderr). */
function commandVersion(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0] || 'unknown';
}

async function describeMachine(databaseUrl: string): Promise<BenchReport['machine']> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const postgres = (await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? 'unknown';
  await client.end();
  const autocannonPackage = (await import('autocannon/package.json', { with: { type: 'json' } })) as { default: { version: string } };
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    kernel: commandVersion('uname', ['-sr']),
    node: process.version,
    postgres: `PostgreSQL ${postgres}`,
    nginx: commandVersion('nginx', ['-v']).replace(/^nginx version: nginx\//, ''),
    autocannon: autocannonPackage.default.version,
  };
}

/** libuv's pool of one gateway instance (it inherits this process's environment): 4 unless set. */
function gatewayThreadPoolSize(): number {
  const configured = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(configured) && configured > 0 ? configured : 4;
}

function rssGroups(stack: BenchStack): Record<string, number[]> {
  return Object.fromEntries(Object.entries(stack.instances).map(([name, list]) => [name, list.map((instance) => instance.process.pid as number)]));
}

async function runAudits(stack: BenchStack, runtime: Runtime, hotUser: BenchUser): Promise<AuditReport> {
  const wallet = await runServiceCommand('wallet', 'audit', runtime, stack.databaseUrl);
  const cross = await runServiceCommand('bets', 'audit', runtime, stack.databaseUrl);
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const balance = (await client.query<{ balance: string }>('select balance::text from wallet.wallets where user_id = $1', [hotUser.id])).rows[0]?.balance;
    const placed = (await client.query<{ bets: string; stakes: string }>("select count(*)::text as bets, coalesce(sum(amount), 0)::text as stakes from bets.bets where user_id = $1 and status <> 'void'", [hotUser.id])).rows[0];
    if (balance === undefined || !placed) throw new Error('the hot wallet is missing');
    const expected = toMinor(BENCH_OPENING_BALANCE) + toMinor(BENCH_DEPOSIT) - BigInt(placed.stakes);
    return {
      walletAudit: { passed: wallet.code === 0, output: wallet.output.trim() },
      crossAudit: { passed: cross.code === 0, output: cross.output.trim() },
      hotWallet: { balanceMinor: balance, expectedMinor: expected.toString(), bets: Number(placed.bets), overdrawn: BigInt(balance) < 0n || BigInt(balance) !== expected },
    };
  } finally {
    await client.end();
  }
}

const instancesOf = (count: number) => `${count} instance${count === 1 ? '' : 's'}`;
const mb = (bytes: number) => `${Math.round(bytes / 1048576)}`;
const fixed = (value: number, digits = 0) => value.toFixed(digits);

/** The markdown table of a report (also what scripts/bench prints). */
export function renderTable(report: BenchReport): string {
  const services = Object.keys(report.scenarios[0]?.peakRssBytes ?? {});
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'ceiling', 'ceiling/s (before · after)', 'ratio', 'errors', 'non-2xx', ...services.map((name) => `${name} RSS MB`), `CPU ms/req (${services.join(' / ')})`];
  const rows = report.scenarios.map((row) => [
    row.scenario,
    fixed(row.requestsPerSecond),
    fixed(row.p50Ms, 1),
    fixed(row.p99Ms, 1),
    row.ceiling,
    row.ceilingRunsPerSecond.length > 1 ? `${fixed(row.ceilingPerSecond)} (${row.ceilingRunsPerSecond.map((rate) => fixed(rate)).join(' · ')})` : fixed(row.ceilingPerSecond),
    `${fixed(row.ratio * 100)} %`,
    String(row.errors),
    String(row.non2xx),
    ...services.map((name) => mb(row.peakRssBytes[name] ?? 0)),
    services.map((name) => fixed(row.cpuMsPerRequest[name] ?? 0, 2)).join(' / '),
  ]);
  const ceilingRows = (Object.entries(report.ceilings) as [CeilingName, CeilingResult][]).map(([name, ceiling]) => [
    name,
    fixed(ceiling.operationsPerSecond),
    ceiling.runsPerSecond ? ceiling.runsPerSecond.map((rate) => fixed(rate)).join(' · ') : '—',
    // The blend is derived from the others: it has no latencies of its own.
    ceiling.operations > 0 ? fixed(ceiling.p50Ms, 1) : '—',
    ceiling.operations > 0 ? fixed(ceiling.p99Ms, 1) : '—',
    String(ceiling.errors),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const m = report.machine;
  return [
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
    '',
    line(['ceiling', 'ops/s (mean of runs)', 'each run, in order', 'p50 ms', 'p99 ms', 'errors']),
    line(['---', '---', '---', '---', '---', '---']),
    ...ceilingRows.map(line),
    '',
    renderTargets(targetChecks(report)),
    '',
    `Machine: ${m.cpus} × ${m.model}, ${mb(m.memoryBytes)} MB RAM, load average at start ${m.loadAverageAtStart.join(' / ')}; ${m.kernel}; Node ${m.node}, ${m.postgres}, nginx ${m.nginx}, autocannon ${m.autocannon}.`,
    `Settings: ${report.settings.connections} connections, ${report.settings.durationSeconds} s per scenario after ${report.settings.warmupSeconds} s of warm-up, ${report.settings.users} users, ${instancesOf(report.settings.instancesPerService)} per service, DATABASE_POOL_SIZE ${report.settings.poolSize}.`,
    `Audits: wallet ${report.audits.walletAudit.passed ? 'passed' : 'FAILED'}, cross-service ${report.audits.crossAudit.passed ? 'passed' : 'FAILED'}; hot wallet ${report.audits.hotWallet.overdrawn ? 'OVERDRAWN or inconsistent' : 'consistent'} (${report.audits.hotWallet.bets} bets).`,
    `Command: ${report.command} (${report.startedAt})`,
  ].join('\n');
}

/** Runs every ceiling and scenario against a fresh stack, audits it, writes latest.json and latest.md. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const { log } = options;
  log(`starting the stack (${instancesOf(options.instancesPerService)} per service) in ${options.workDir}`);
  const stack = await startBenchStack({
    infrastructure: options.infrastructure,
    runtime: options.runtime,
    instancesPerService: options.instancesPerService,
    poolSize: options.poolSize,
    logDir: path.join(options.workDir, 'logs'),
  });
  try {
    const machine = await describeMachine(stack.databaseUrl);
    log(`registering ${options.users + 1} players through the API`);
    const [hotUser, ...users] = await registerUsers(stack.url, options.users + 1, 8);
    if (!hotUser || users.length === 0) throw new Error('no players registered');
    const events = await openEvents(stack.url);
    const load = { connections: options.connections, durationSeconds: options.durationSeconds };
    const groups = rssGroups(stack);
    const ceilingRuns = {} as Record<CeilingName, CeilingResult[]>;
    const scenarios: ScenarioReport[] = [];
    const warmup = options.warmupSeconds ?? 0;
    const measured = (name: CeilingName, result: CeilingResult): CeilingResult => {
      (ceilingRuns[name] ??= []).push(result);
      return result;
    };

    const helloRequests = [{ method: 'GET' as const, path: '/api/wallet' }];
    const helloCeiling = async () => {
      log('ceiling: fastify hello-world via the same nginx');
      const hello = await runLoad({ ...load, url: stack.helloUrl }, helloRequests);
      return measured('fastify hello-world via nginx', { operationsPerSecond: hello.requestsPerSecond, operations: hello.requests, p50Ms: hello.p50Ms, p99Ms: hello.p99Ms, errors: hello.errors + hello.non2xx });
    };
    const sql = {
      databaseUrl: stack.databaseUrl,
      concurrency: options.connections,
      betsPoolSize: options.poolSize * options.instancesPerService,
      walletPoolSize: options.poolSize * options.instancesPerService,
      durationSeconds: options.durationSeconds,
      eventIds: events.map((event) => event.id),
      stake: toMinor(BENCH_STAKE),
      openingBalance: toMinor(BENCH_OPENING_BALANCE),
    };
    const ceilingUsers = users.map((_, index) => `bench-ceiling-${startedAt}-${index}`);
    const manyUsersCeiling = async () => {
      log('ceiling: the bet SQL, many users');
      return measured('bet SQL, many users', await betSqlCeiling({ ...sql, userIds: ceilingUsers }));
    };
    const hotRowCeiling = async () => {
      log('ceiling: the bet SQL, one hot row');
      return measured('bet SQL, one hot row', await betSqlCeiling({ ...sql, userIds: [`bench-ceiling-${startedAt}-hot`] }));
    };
    const argon2 = async () => {
      log('ceiling: argon2id verification');
      return measured('argon2id verify', await argon2Ceiling({ concurrency: options.connections, threads: gatewayThreadPoolSize() * options.instancesPerService, durationSeconds: options.durationSeconds }));
    };

    const runScenario = async (scenario: ScenarioName, overallRate?: number): Promise<ScenarioReport> => {
      log(`scenario: ${scenario}${overallRate === undefined ? '' : ` at ${overallRate} req/s`}`);
      // A paced run warms up too, at its own rate: measured right after its saturated closed-loop
      // twin, with the open-loop client's own code still cold, 3 % of its requests (180 bets/s)
      // took over 60 ms, nearly all in its first second — enough to be the p99 by themselves.
      const requests = scenarioRequests(scenario, users, hotUser, events);
      const run = (durationSeconds: number) => runLoad({ ...load, durationSeconds, url: stack.url, ...(overallRate === undefined ? {} : { overallRate }) }, requests);
      if (warmup > 0) await run(warmup);
      const usage = sampleProcesses(groups);
      const result = await run(load.durationSeconds);
      const { peakRssBytes, cpuSeconds } = usage.stop();
      const cpuMsPerRequest = Object.fromEntries(Object.entries(cpuSeconds).map(([name, seconds]) => [name, result.requests > 0 ? (seconds * 1000) / result.requests : 0]));
      const row: ScenarioReport = { scenario, ...result, ceiling: ceilingOf[scenario], ceilingPerSecond: 0, ceilingRunsPerSecond: [], ratio: 0, peakRssBytes, cpuMsPerRequest };
      scenarios.push(row);
      if (result.failureSamples.length > 0) log(`  non-2xx samples: ${result.failureSamples.join(' | ')}`);
      return row;
    };
    // Each scenario is held against its ceiling measured right before and right after it (the
    // mean of the two): this machine's speed drifts by tens of percent within minutes, and a
    // ceiling measured once at the start made the ratios of later scenarios swing with it.
    const bracketed = async (scenario: ScenarioName, before: CeilingResult, measureAfter: () => Promise<CeilingResult>): Promise<CeilingResult> => {
      const row = await runScenario(scenario);
      const after = await measureAfter();
      holdAgainst(row, [before, after]);
      return after;
    };

    if (warmup > 0) await runLoad({ ...load, durationSeconds: warmup, url: stack.helloUrl }, helloRequests);
    let hello = await helloCeiling();
    hello = await bracketed('GET /api/wallet', hello, helloCeiling);
    await bracketed('GET /api/events', hello, helloCeiling);
    const manyUsers = [await manyUsersCeiling()];
    manyUsers.push(await bracketed('POST /api/bets (many users)', manyUsers[0]!, manyUsersCeiling));
    // The latency target holds at a given rate: offer exactly the target share of the ceiling
    // (open loop) and read p99 there, instead of at saturation where latency is only queueing.
    const pacedRate = Math.max(1, Math.round(PACED_BETS_SHARE * mean(manyUsers.map((run) => run.operationsPerSecond))));
    holdAgainst(await runScenario('POST /api/bets (many users, paced)', pacedRate), manyUsers);
    await bracketed('POST /api/bets (one user)', await hotRowCeiling(), hotRowCeiling);
    await bracketed('GET /api/bets', await helloCeiling(), helloCeiling);
    await bracketed('POST /api/auth/login', await argon2(), argon2);
    const ceilings = Object.fromEntries(Object.entries(ceilingRuns).map(([name, runs]) => [name, combineRuns(runs)])) as Record<CeilingName, CeilingResult>;
    // The mixed run's ceiling: the time per request of each part, weighted as the mix is.
    const blend = 1 / (0.8 / ceilings['fastify hello-world via nginx'].operationsPerSecond + 0.2 / ceilings['bet SQL, many users'].operationsPerSecond);
    ceilings['blend (80% hello-world, 20% bet SQL)'] = { operationsPerSecond: blend, operations: 0, p50Ms: 0, p99Ms: 0, errors: 0 };
    holdAgainst(await runScenario('mixed (80% reads, 20% bets)'), [ceilings['blend (80% hello-world, 20% bet SQL)']]);

    const ordered = scenarioNames.map((name) => scenarios.find((row) => row.scenario === name) as ScenarioReport);

    log('auditing the ledger and the bets');
    const audits = await runAudits(stack, options.runtime, hotUser);
    const report: BenchReport = {
      startedAt,
      command: options.command,
      settings: { durationSeconds: options.durationSeconds, warmupSeconds: warmup, connections: options.connections, users: options.users, instancesPerService: options.instancesPerService, poolSize: options.poolSize },
      machine,
      ceilings,
      scenarios: ordered,
      audits,
    };
    mkdirSync(options.outputDir, { recursive: true });
    writeFileSync(path.join(options.outputDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(options.outputDir, 'latest.md'), `${renderTable(report)}\n`);
    return report;
  } finally {
    log('stopping the stack');
    await stack.stop();
  }
}
