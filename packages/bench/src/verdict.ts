import type { BenchReport } from './bench.js';

/**
 * What makes a run unusable whatever the machine: failed audits, an inconsistent hot wallet,
 * errors or non-2xx answers, a ceiling that did not run. Speed targets are not judged here:
 * they are read off the table, on a quiet machine.
 */
export function benchFailures(report: BenchReport): string[] {
  const failures: string[] = [];
  if (!report.audits.walletAudit.passed) failures.push(`wallet audit:\n${report.audits.walletAudit.output}`);
  if (!report.audits.crossAudit.passed) failures.push(`cross-service audit:\n${report.audits.crossAudit.output}`);
  const hot = report.audits.hotWallet;
  if (hot.overdrawn) failures.push(`hot wallet balance ${hot.balanceMinor} is not the expected ${hot.expectedMinor}`);
  for (const row of report.scenarios) {
    if (row.errors > 0) failures.push(`${row.scenario}: ${row.errors} errors`);
    if (row.non2xx > 0) failures.push(`${row.scenario}: ${row.non2xx} non-2xx (${row.failureSamples.join(' | ')})`);
    if (row.requests === 0) failures.push(`${row.scenario}: no request completed`);
  }
  for (const [name, ceiling] of Object.entries(report.ceilings)) {
    if (ceiling.errors > 0) failures.push(`ceiling ${name}: ${ceiling.errors} errors`);
    if (!(ceiling.operationsPerSecond > 0)) failures.push(`ceiling ${name}: nothing measured`);
  }
  return failures;
}
