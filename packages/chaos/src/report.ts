import { isServerFailure, outcomeLabel, type Attempt, type RequestKind } from './client.js';
import type { AuditOutcome, InvariantCheck, MoneyTotals, Repairs } from './checks.js';
import type { FaultRecord, PostgresRecovery } from './faults.js';
import type { KeyRecord } from './load.js';

/**
 * The report of a chaos run and its verdict. A run fails when any of these holds:
 *   - an invariant check or a service audit found a violation (or an audit could not run);
 *   - any 500 answer: a fault may make a service unavailable (502/503/504), never fail
 *     unexpectedly (README: a database that cannot take a request is 503, never 500);
 *   - a 5xx storm outside the fault windows: STORM_COUNT or more 5xx answers or requests
 *     without an answer within any STORM_SPAN_MS, counting only requests that overlap no fault
 *     window (a fault's window runs from its start until FAULT_GRACE_MS after its component
 *     serves again);
 *   - PostgreSQL was not restarted, or the services did not all serve a database request
 *     within `maxRecoverySeconds` of it accepting connections again;
 *   - an instance, Redis or PostgreSQL did not come back, or some instance was not ready
 *     after the faults;
 *   - a client gave up on a request (no definite answer within its 30 s of retries);
 *   - the reconciler and the settlement outbox did not finish within their bound;
 *   - no bet or no deposit was applied (the load was not real).
 */
export const STORM_COUNT = 5;
export const STORM_SPAN_MS = 2_000;

export interface ChaosReport {
  startedAt: string;
  command: string;
  seed: number;
  settings: { durationSeconds: number; virtualUsers: number; instancesPerService: number; maxRecoverySeconds: number; serviceEnv: Record<string, Record<string, string>> };
  load: {
    seconds: number;
    requests: number;
    requestsByKind: Partial<Record<RequestKind, number>>;
    outcomesByKind: Partial<Record<RequestKind, Record<string, number>>>;
    outcomes: Record<string, number>;
    keys: Record<'bet' | 'deposit', { applied: number; rejected: Record<string, number>; unfinished: number; replayed: number }>;
    players: number;
    unfinishedAccountRequests: number;
    events: { created: number; settled: number };
  };
  faults: {
    kills: Record<string, number>;
    redisRestarts: number;
    postgresRestarts: number;
    records: (FaultRecord & { window: [number, number] })[];
    postgres?: PostgresRecovery;
    notBack: string[];
    readyAfterFaults: boolean;
    readyError?: string;
  };
  serverFailures: { total: number; insideFaultWindows: number; outsideFaultWindows: number; worstSpanOutside: number; outsideExamples: string[] };
  repairWait: { seconds: number; done: boolean; state: string };
  repairs: Repairs;
  money: MoneyTotals;
  invariants: InvariantCheck[];
  violations: number;
  audit: AuditOutcome;
  failures: string[];
}

const increment = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** Counts of attempts by kind and outcome. */
export function tallyAttempts(attempts: Attempt[]): Pick<ChaosReport['load'], 'requests' | 'requestsByKind' | 'outcomesByKind' | 'outcomes'> {
  const requestsByKind: Partial<Record<RequestKind, number>> = {};
  const outcomesByKind: Partial<Record<RequestKind, Record<string, number>>> = {};
  const outcomes: Record<string, number> = {};
  for (const attempt of attempts) {
    requestsByKind[attempt.kind] = (requestsByKind[attempt.kind] ?? 0) + 1;
    const label = outcomeLabel(attempt);
    increment((outcomesByKind[attempt.kind] ??= {}), label);
    increment(outcomes, label);
  }
  return { requests: attempts.length, requestsByKind, outcomesByKind, outcomes };
}

export function tallyKeys(keys: KeyRecord[]): ChaosReport['load']['keys'] {
  const empty = () => ({ applied: 0, rejected: {} as Record<string, number>, unfinished: 0, replayed: 0 });
  const tally = { bet: empty(), deposit: empty() };
  for (const record of keys) {
    const row = tally[record.kind];
    if (record.outcome === 'applied') row.applied += 1;
    else if (record.outcome === 'unfinished') row.unfinished += 1;
    else increment(row.rejected, record.rejectedWith ?? 'unknown');
    if (record.ackedIds.length > 1) row.replayed += 1;
  }
  return tally;
}

/**
 * Splits server failures (5xx, no answer) into those a fault explains (the request overlapped
 * a fault window) and the rest, and finds the most of the rest within any STORM_SPAN_MS.
 */
export function classifyServerFailures(attempts: Attempt[], windows: [number, number][]): ChaosReport['serverFailures'] {
  const failures = attempts.filter(isServerFailure);
  const outside = failures
    .filter((attempt) => !windows.some(([from, to]) => attempt.startedAt <= to && attempt.endedAt >= from))
    .sort((a, b) => a.endedAt - b.endedAt);
  let worst = 0;
  for (let first = 0, last = 0; last < outside.length; last += 1) {
    while ((outside[last] as Attempt).endedAt - (outside[first] as Attempt).endedAt > STORM_SPAN_MS) first += 1;
    worst = Math.max(worst, last - first + 1);
  }
  return {
    total: failures.length,
    insideFaultWindows: failures.length - outside.length,
    outsideFaultWindows: outside.length,
    worstSpanOutside: worst,
    outsideExamples: outside.slice(0, 10).map((attempt) => `${new Date(attempt.endedAt).toISOString()} ${attempt.kind}: ${outcomeLabel(attempt)}`),
  };
}

/** Everything that makes the run a failure (see the header), each named. */
export function chaosFailures(report: Omit<ChaosReport, 'failures'>): string[] {
  const failures: string[] = [];
  for (const check of report.invariants) {
    if (check.violations > 0) failures.push(`invariant ${check.name}: ${check.violations} violation(s): ${check.examples.slice(0, 3).join('; ')}`);
  }
  if (report.audit.exitCode !== 0) {
    const named = Object.entries(report.audit.failedChecks).map(([name, count]) => `${name} ${count}`).join(', ');
    failures.push(`service audit exited ${report.audit.exitCode}${named ? ` (${named})` : ': it could not run'}`);
  }
  const internalErrors = Object.entries(report.load.outcomes).filter(([label]) => label.startsWith('500'));
  if (internalErrors.length > 0) failures.push(`500 answers (unexpected errors, not unavailability): ${internalErrors.map(([label, n]) => `${label} ×${n}`).join(', ')}`);
  if (report.serverFailures.worstSpanOutside >= STORM_COUNT) {
    failures.push(`5xx storm outside fault windows: ${report.serverFailures.worstSpanOutside} server failures within ${STORM_SPAN_MS / 1000} s (${report.serverFailures.outsideExamples.slice(0, 3).join('; ')})`);
  }
  if (report.faults.postgresRestarts !== 1) failures.push(`PostgreSQL was restarted ${report.faults.postgresRestarts} times, not once`);
  const recovery = report.faults.postgres?.recoveryMs;
  if (report.faults.postgresRestarts === 1 && recovery === undefined) failures.push('after the PostgreSQL restart some service never served a database request again');
  if (recovery !== undefined && recovery > report.settings.maxRecoverySeconds * 1000) {
    failures.push(`the services took ${(recovery / 1000).toFixed(1)} s to serve after the PostgreSQL restart (bound ${report.settings.maxRecoverySeconds} s)`);
  }
  for (const what of report.faults.notBack) failures.push(`did not come back: ${what}`);
  if (!report.faults.readyAfterFaults) failures.push(`not every instance was ready after the faults: ${report.faults.readyError ?? ''}`);
  for (const kind of ['bet', 'deposit'] as const) {
    const keys = report.load.keys[kind];
    if (keys.unfinished > 0) failures.push(`${keys.unfinished} ${kind} request(s) got no definite answer within the client's 30 s of retries`);
    if (keys.applied === 0) failures.push(`no ${kind} was applied: the load was not real`);
  }
  if (report.load.unfinishedAccountRequests > 0) failures.push(`${report.load.unfinishedAccountRequests} registration/login(s) got no definite answer within 30 s of retries`);
  if (!report.repairWait.done) failures.push(`the reconciler and the outbox were not done within their bound: ${report.repairWait.state}`);
  return failures;
}

const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const money = (minor: string) => {
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([label, n]) => `${label} ×${n}`)
    .join(', ');

/** The summary people read (printed and written as latest.md). */
export function renderSummary(report: ChaosReport): string {
  const { load, faults } = report;
  const lines = [
    `# Chaos run ${report.startedAt}`,
    '',
    `Command: \`${report.command}\` — seed ${report.seed} (repeat with \`--seed ${report.seed}\`)`,
    `Load: ${load.seconds.toFixed(1)} s, ${report.settings.virtualUsers} virtual users, ${report.settings.instancesPerService} instances per service; ${load.players} players, ${load.events.created} events created, ${load.events.settled} settled.`,
    '',
    '| requests | count | outcomes |',
    '| --- | --- | --- |',
    ...Object.entries(load.requestsByKind).map(([kind, n]) => `| ${kind} | ${n} | ${counts(load.outcomesByKind[kind as RequestKind] ?? {})} |`),
    `| all | ${load.requests} | ${counts(load.outcomes)} |`,
    '',
    '| keys (Idempotency-Key) | applied | refused (4xx) | unfinished | replayed after 2xx |',
    '| --- | --- | --- | --- | --- |',
    ...(['bet', 'deposit'] as const).map((kind) => {
      const row = load.keys[kind];
      return `| ${kind} | ${row.applied} | ${counts(row.rejected) || '0'} | ${row.unfinished} | ${row.replayed} |`;
    }),
    '',
    '| faults | |',
    '| --- | --- |',
    `| SIGKILLs by service | ${counts(faults.kills) || 'none'} |`,
    `| Redis restarts | ${faults.redisRestarts} |`,
    `| PostgreSQL restarts | ${faults.postgresRestarts} |`,
    `| PostgreSQL down (stop → accepting again) | ${faults.postgres ? seconds(faults.postgres.startedAt - faults.postgres.stoppedAt) : '—'} |`,
    `| serving again after PostgreSQL is up (slowest service) | ${seconds(faults.postgres?.recoveryMs)} (${Object.entries(faults.postgres?.firstSuccessMs ?? {}).map(([service, ms]) => `${service} ${seconds(ms)}`).join(', ')}) |`,
    `| components that did not come back | ${faults.notBack.length === 0 ? 'none' : faults.notBack.join(', ')} |`,
    `| server failures (5xx or no answer) | ${report.serverFailures.total}: ${report.serverFailures.insideFaultWindows} inside fault windows, ${report.serverFailures.outsideFaultWindows} outside (most within ${STORM_SPAN_MS / 1000} s outside: ${report.serverFailures.worstSpanOutside}; a storm is ${STORM_COUNT}) |`,
    '',
    '| repairs | |',
    '| --- | --- |',
    `| stake debits voided by the reconciler | ${report.repairs.reconcilerVoids} |`,
    `| stake debits voided at once by the failing request | ${report.repairs.immediateVoids} |`,
    `| late debits refused by a void tombstone | ${report.repairs.refusedLateDebits} |`,
    `| settlement credits delivered (needed a retry) | ${report.repairs.creditsDelivered} (${report.repairs.creditsRetried}) |`,
    `| waited for the reconciler and outbox | ${seconds(report.repairWait.seconds * 1000)}${report.repairWait.done ? '' : ' — NOT DONE'} |`,
    '',
    `Money: balances ${money(report.money.balances)} = openings ${money(report.money.openings)} + deposits ${money(report.money.deposits)} − stakes ${money(report.money.stakes)} + payouts ${money(report.money.payouts)} + refunds ${money(report.money.refunds)}; ${report.money.bets} bets, ${report.money.pendingBets} pending.`,
    '',
    '| invariant | violations |',
    '| --- | --- |',
    ...report.invariants.map((check) => `| ${check.name}: ${check.description} | ${check.violations} |`),
    `| service audits (\`bets audit\`, which runs the wallet audit too) | ${Object.values(report.audit.failedChecks).reduce((a, b) => a + b, 0)} (exit ${report.audit.exitCode}) |`,
    '',
    `Invariant violations: ${report.violations}`,
    report.failures.length === 0 ? 'Verdict: PASSED' : `Verdict: FAILED\n${report.failures.map((failure) => `- ${failure}`).join('\n')}`,
  ];
  return `${lines.join('\n')}\n`;
}
