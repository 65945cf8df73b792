import type { BenchReport, ScenarioReport } from './bench.js';
import type { ScenarioName } from './scenarios.js';

/** One of issue #7's targets, judged on one run (2 cores, load generator on the same machine). */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

const RSS_BUDGET_BYTES = 150 * 1024 * 1024;
const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;

/**
 * The targets, read off a report. Not a pass/fail of the run (benchFailures is): speed depends
 * on the machine, so the table says which targets this run met and by how much.
 */
export function targetChecks(report: BenchReport): TargetCheck[] {
  const row = (name: ScenarioName): ScenarioReport | undefined => report.scenarios.find((scenario) => scenario.scenario === name);
  const checks: TargetCheck[] = [];
  const ratioAtLeast = (name: ScenarioName, share: number, extra = '') => {
    const scenario = row(name);
    if (!scenario) return;
    checks.push({ target: `${name}: ≥ ${percent(share)} of ${scenario.ceiling}${extra ? `, ${extra}` : ''}`, measured: percent(scenario.ratio), met: scenario.ratio >= share });
  };
  ratioAtLeast('GET /api/wallet', 0.5);
  ratioAtLeast('POST /api/bets (many users)', 0.35);
  const paced = row('POST /api/bets (many users, paced)');
  if (paced) {
    checks.push({
      target: `POST /api/bets (many users): p99 ≤ 50 ms at 35 % of the bet-SQL ceiling, 0 errors`,
      measured: `p99 ${paced.p99Ms} ms at ${Math.round(paced.requestsPerSecond)} req/s (${percent(paced.ratio)}), ${paced.errors + paced.non2xx} errors`,
      met: paced.p99Ms <= 50 && paced.errors + paced.non2xx === 0,
    });
  }
  ratioAtLeast('POST /api/bets (one user)', 0.5);
  const hot = report.audits.hotWallet;
  checks.push({ target: 'POST /api/bets (one user): no overdraw', measured: `${hot.bets} bets, balance ${hot.overdrawn ? 'WRONG' : 'exact'}`, met: !hot.overdrawn });
  ratioAtLeast('POST /api/auth/login', 0.8);
  const unexpected = report.scenarios.reduce((sum, scenario) => sum + scenario.errors + scenario.non2xx, 0);
  checks.push({ target: 'every scenario: 0 errors and 0 unexpected non-2xx', measured: String(unexpected), met: unexpected === 0 });
  const peaks = report.scenarios.flatMap((scenario) => Object.entries(scenario.peakRssBytes));
  const largest = peaks.reduce<[string, number]>((max, [name, bytes]) => (bytes > max[1] ? [name, bytes] : max), ['', 0]);
  checks.push({
    target: 'every service under 150 MB RSS',
    measured: `largest ${Math.round(largest[1] / 1048576)} MB (${largest[0]})`,
    met: peaks.every(([, bytes]) => bytes < RSS_BUDGET_BYTES),
  });
  return checks;
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return ['| target | this run | met |', '| --- | --- | --- |', ...checks.map((check) => `| ${check.target} | ${check.measured} | ${check.met ? 'yes' : 'no'} |`)].join('\n');
}
