/**
 * scripts/chaos [--duration 60] [--seed n] [--users 12] [--max-recovery 15] [--output docs/chaos]
 *
 * Starts a private stack (PostgreSQL, Redis, two instances of each service from dist, nginx)
 * in a temp directory, runs mixed load through nginx while instances are SIGKILLed and Redis
 * and PostgreSQL restart, waits for the repairs, audits, prints the summary and writes
 * latest.json and latest.md. Exit 1 on any invariant violation or other failure (report.ts).
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { integerOption, repoRoot } from '@ludic/stack';
import { runChaos } from './chaos.js';
import { renderSummary } from './report.js';

const usage = 'usage: scripts/chaos [--duration seconds] [--seed n] [--users n] [--max-recovery seconds] [--output dir]';

function positiveInteger(value: string | undefined, name: string, fallback: number, minimum = 1): number {
  return integerOption(value, name, fallback, usage, minimum);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      seed: { type: 'string' },
      users: { type: 'string' },
      'max-recovery': { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  // Below 20 s there is no room for a kill of every service, a Redis and a PostgreSQL restart.
  const durationSeconds = positiveInteger(values.duration, 'duration', 60, 20);
  const seed = positiveInteger(values.seed, 'seed', randomInt(1, 2 ** 31), 0);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'ludic-chaos-'));
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (interrupted = true));
  console.log(`==> chaos seed ${seed}`);
  try {
    const report = await runChaos({
      durationSeconds,
      seed,
      virtualUsers: positiveInteger(values.users, 'users', 12),
      maxRecoverySeconds: positiveInteger(values['max-recovery'], 'max-recovery', 15),
      runtime: 'dist',
      workDir,
      outputDir: path.resolve(values.output ?? path.join(repoRoot, 'docs', 'chaos')),
      command: `scripts/chaos ${process.argv.slice(2).join(' ')}`.trim(),
      log: (message) => console.log(`==> ${message}`),
    });
    console.log(`\n${renderSummary(report)}`);
    if (report.failures.length === 0 && !interrupted) rmSync(workDir, { recursive: true, force: true });
    else console.log(`logs kept in ${workDir}`);
    return report.failures.length === 0 ? 0 : 1;
  } catch (error) {
    console.error((error as Error).stack ?? error);
    console.error(`logs kept in ${workDir}`);
    return 1;
  }
}

process.exitCode = await main();
