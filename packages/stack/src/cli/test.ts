/**
 * ./scripts/test: runs test files with tap against a private PostgreSQL and Redis.
 *
 *   ./scripts/test [test files…]   (default: every *.test.ts under packages/ and services/)
 *
 * Prints tap's TAP output, then `N passed, N failed` counting test files, and exits non-zero
 * when any file fails. Temp data (databases, logs) is removed after a green run and kept,
 * with its path printed, after a red one.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { repoRoot } from '../paths.js';
import { getFreePorts } from '../ports.js';
import { ensureDatabase, startPostgres, type PostgresServer } from '../postgres.js';
import { startRedis, type RedisServer } from '../redis.js';
import { runMigrations } from '../services.js';
import { findTestFiles, tallyTapOutput } from '../test-files.js';

const templateDatabase = 'ludic_template';

async function prepareTemplate(postgres: PostgresServer, logFile: string): Promise<void> {
  await ensureDatabase(postgres.url('postgres'), templateDatabase);
  await runMigrations({ databaseUrl: postgres.url(templateDatabase), runtime: 'source', logFile });
  // Cloning needs a template nobody is connected to; refusing connections keeps it that way.
  const client = new pg.Client({ connectionString: postgres.url('postgres') });
  await client.connect();
  await client.query(`ALTER DATABASE ${templateDatabase} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  await client.end();
}

/**
 * Ctrl-C or SIGTERM must not leave PostgreSQL (detached by pg_ctl) or Redis behind: a signal
 * stops tap if it runs, and the run ends at the next step, through the usual clean-up.
 */
const interruption = {
  signal: undefined as NodeJS.Signals | undefined,
  onSignal: undefined as (() => void) | undefined,
  check(): void {
    if (this.signal) throw new Error(`interrupted by ${this.signal}`);
  },
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interruption.signal = signal;
    interruption.onSignal?.();
  });
}

/**
 * tap applies the plugin list of .taprc (tsx instead of its ts-node plugin) only to a test
 * class it has built into .tap/plugins; a fresh clone has none, and the default class would
 * load ts-node next to tsx and fail every file. Built once per checkout (the build records
 * absolute paths, so a moved checkout builds again).
 */
async function ensureTapPlugins(): Promise<void> {
  const built = path.join(repoRoot, '.tap', 'plugins', 'package.json');
  if (existsSync(built) && readFileSync(built, 'utf8').includes(repoRoot)) return;
  console.log('# building tap with the plugins of .taprc');
  const build = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tap'), ['build'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => build.once('close', resolve));
  if (code !== 0) throw new Error(`tap build failed (exit ${code})`);
}

async function runTap(files: string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number; lines: string[] }> {
  const tap = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tap'), ['--reporter=tap', '--jobs=2', ...files], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  interruption.onSignal = () => tap.kill('SIGTERM');
  const lines: string[] = [];
  const reader = createInterface({ input: tap.stdout });
  reader.on('line', (line) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  });
  // 'close', not 'exit': only then has every line of its output been read.
  const exitCode = await new Promise<number>((resolve) => tap.once('close', (code) => resolve(code ?? 1)));
  interruption.onSignal = undefined;
  return { exitCode, lines };
}

async function main(): Promise<number> {
  const requested = process.argv.slice(2).map((file) => path.relative(repoRoot, path.resolve(file)));
  const files = requested.length > 0 ? requested : findTestFiles(repoRoot);
  if (files.length === 0) {
    console.error('no test files found');
    return 1;
  }
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'ludic-test-'));
  // PostgreSQL runs as the postgres user when we are root: it must be able to enter workDir.
  chmodSync(workDir, 0o755);
  const [postgresPort, redisPort] = await getFreePorts(2);
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  let failed = true;
  try {
    console.log(`# starting PostgreSQL (port ${postgresPort}) and Redis (port ${redisPort}) in ${workDir}`);
    const [postgresStart, redisStart] = await Promise.allSettled([
      startPostgres({ dataDir: path.join(workDir, 'postgres', 'data'), port: postgresPort as number, password: randomBytes(16).toString('hex') }),
      startRedis({ dir: path.join(workDir, 'redis'), port: redisPort as number }),
    ]);
    // Keep whichever started, so `finally` stops it even when the other failed.
    if (postgresStart.status === 'fulfilled') postgres = postgresStart.value;
    if (redisStart.status === 'fulfilled') redis = redisStart.value;
    if (postgresStart.status === 'rejected') throw postgresStart.reason;
    if (redisStart.status === 'rejected') throw redisStart.reason;
    interruption.check();
    console.log('# migrating the template database');
    await prepareTemplate(postgresStart.value, path.join(workDir, 'logs', 'migrate.log'));
    interruption.check();

    await ensureTapPlugins();
    const { exitCode, lines } = await runTap(files, {
      ...process.env,
      LUDIC_TEST_DATABASE_URL: postgresStart.value.url('postgres'),
      LUDIC_TEST_TEMPLATE_DATABASE: templateDatabase,
      LUDIC_TEST_REDIS_URL: redisStart.value.url,
      LUDIC_TEST_TMPDIR: path.join(workDir, 'tests'),
      // scripts/test has just compiled everything: service processes start from dist, several
      // times faster than compiling the sources through tsx in each of them.
      LUDIC_TEST_RUNTIME: 'dist',
    });
    const tally = tallyTapOutput(lines);
    // A file passed only if tap reported it ok; one tap reported otherwise (e.g. killed on
    // its timeout, reported as "timeout!") failed.
    const failedFiles = files.filter((file) => !tally.passed.includes(file) || tally.failed.includes(file));
    failed = exitCode !== 0 || failedFiles.length > 0;
    for (const file of failedFiles) console.log(`# FAILED ${file}`);
    console.log(`${files.length - failedFiles.length} passed, ${failedFiles.length} failed`);
    return failed ? 1 : 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    console.log(`0 passed, ${files.length} failed`);
    return 1;
  } finally {
    await Promise.allSettled([redis?.stop(), postgres?.stop()]);
    if (failed) console.log(`# logs and data kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
