/**
 * scripts/bench [--duration 10] [--warmup 3] [--connections 64] [--users 200] [--instances 1] [--pool-size 20] [--quick]
 *
 * Starts a private stack (PostgreSQL, Redis, `--instances` of each service from dist, nginx)
 * in a temp directory, measures every scenario and its ceiling, audits the money, prints the
 * table and writes docs/bench/latest.json and latest.md. Exit 1 when an audit fails or a
 * scenario had errors or non-2xx answers.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { integerOption, repoRoot } from '@ludic/stack';
import { renderTable, runBench } from './bench.js';
import { benchFailures } from './verdict.js';

const usage = 'usage: scripts/bench [--duration seconds] [--warmup seconds] [--connections n] [--users n] [--instances n] [--pool-size n] [--quick] [--output dir]';

function positiveInteger(value: string | undefined, name: string, fallback: number, minimum = 1): number {
  return integerOption(value, name, fallback, usage, minimum);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      users: { type: 'string' },
      'pool-size': { type: 'string' },
      instances: { type: 'string' },
      output: { type: 'string' },
      quick: { type: 'boolean', default: false },
      warmup: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const quick = values.quick ?? false;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'ludic-bench-'));
  // PostgreSQL runs as the postgres user when we are root: it must be able to enter workDir.
  chmodSync(workDir, 0o755);
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (interrupted = true));
  try {
    const report = await runBench({
      durationSeconds: positiveInteger(values.duration, 'duration', quick ? 2 : 10),
      warmupSeconds: positiveInteger(values.warmup, 'warmup', quick ? 1 : 3),
      connections: positiveInteger(values.connections, 'connections', quick ? 16 : 64),
      users: positiveInteger(values.users, 'users', quick ? 8 : 200),
      // Sized for this 2-core machine (packages/bench/README.md): one instance per service, with the
      // pool two instances of 10 would have.
      poolSize: positiveInteger(values['pool-size'], 'pool-size', 20),
      instancesPerService: positiveInteger(values.instances, 'instances', 1),
      runtime: 'dist',
      infrastructure: { workDir: path.join(workDir, 'data') },
      workDir,
      outputDir: path.resolve(values.output ?? path.join(repoRoot, 'docs', 'bench')),
      command: `scripts/bench ${process.argv.slice(2).join(' ')}`.trim(),
      log: (message) => console.log(`==> ${message}`),
    });
    console.log(`\n${renderTable(report)}\n`);
    const failures = benchFailures(report);
    for (const failure of failures) console.log(`FAILED: ${failure}`);
    if (failures.length === 0 && !interrupted) rmSync(workDir, { recursive: true, force: true });
    else console.log(`logs kept in ${workDir}`);
    return failures.length === 0 ? 0 : 1;
  } catch (error) {
    console.error((error as Error).stack ?? error);
    console.error(`logs kept in ${workDir}`);
    return 1;
  }
}

process.exitCode = await main();
