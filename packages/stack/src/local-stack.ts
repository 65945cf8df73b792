import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { localStackDir } from './paths.js';
import { isPostgresRunning, stopPostgres } from './postgres.js';
import { commandLineOf, isAlive, stopPid } from './processes.js';

/**
 * The local stack run by ./scripts/up: where it keeps things and which ports it uses.
 * Ports are fixed (overridable) so a developer can always find each piece.
 */
export interface LocalStackConfig {
  dir: string;
  dataDir: string;
  logDir: string;
  stateFile: string;
  secretsFile: string;
  httpPort: number;
  postgresPort: number;
  redisPort: number;
  /** The edge's service-to-service load balancer (bets → wallet), on 127.0.0.1 only. */
  internalPort: number;
  instancesPerService: number;
  /** Set when the developer brings their own PostgreSQL (`DATABASE_URL`); none is started. */
  externalDatabaseUrl: string | undefined;
  /** Set when the developer brings their own Redis (`REDIS_URL`); none is started. */
  externalRedisUrl: string | undefined;
  /** The admin account the seed creates (ADMIN_EMAIL/ADMIN_PASSWORD); also added to ADMIN_EMAILS. */
  adminEmail: string;
  adminPassword: string;
  /** ADMIN_EMAILS given to the services: ADMIN_EMAIL plus any the developer lists. */
  adminEmails: string;
}

function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a TCP port, got "${raw}"`);
  return port;
}

export function localStackConfig(env: NodeJS.ProcessEnv = process.env): LocalStackConfig {
  const dir = localStackDir;
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    logDir: path.join(dir, 'logs'),
    stateFile: path.join(dir, 'state.json'),
    secretsFile: path.join(dir, 'secrets.json'),
    httpPort: portFromEnv(env, 'LUDIC_HTTP_PORT', 8080),
    postgresPort: portFromEnv(env, 'LUDIC_POSTGRES_PORT', 54320),
    redisPort: portFromEnv(env, 'LUDIC_REDIS_PORT', 63790),
    internalPort: portFromEnv(env, 'LUDIC_INTERNAL_PORT', 4000),
    instancesPerService: 2,
    externalDatabaseUrl: env.DATABASE_URL || undefined,
    externalRedisUrl: env.REDIS_URL || undefined,
    ...adminAccount(env),
  };
}

/** Documented local defaults: admin@ludic.local / ludic-admin-2024 (override both for anything shared). */
function adminAccount(env: NodeJS.ProcessEnv): Pick<LocalStackConfig, 'adminEmail' | 'adminPassword' | 'adminEmails'> {
  const adminEmail = (env.ADMIN_EMAIL || 'admin@ludic.local').trim().toLowerCase();
  const listed = (env.ADMIN_EMAILS ?? '').split(',').map((email) => email.trim().toLowerCase()).filter(Boolean);
  return {
    adminEmail,
    adminPassword: env.ADMIN_PASSWORD || 'ludic-admin-2024',
    adminEmails: [...new Set([adminEmail, ...listed])].join(','),
  };
}

export function postgresDataDir(config: LocalStackConfig): string {
  return path.join(config.dataDir, 'postgres');
}

/** A process the supervisor started; `command` is matched against /proc before any kill. */
export interface RecordedProcess {
  name: string;
  pid: number;
  command: string;
  port?: number;
  logFile: string;
}

/** What the supervisor publishes in state.json for `up` (progress) and `down` (what to stop). */
export interface StackState {
  supervisorPid: number;
  status: 'starting' | 'ready' | 'failed' | 'stopping';
  /** Why start-up failed. */
  error?: string;
  url: string;
  /** The embedded PostgreSQL's data dir, when the stack started one. */
  postgresDataDir?: string;
  processes: RecordedProcess[];
  updatedAt: string;
}

export function readState(config: LocalStackConfig): StackState | undefined {
  if (!existsSync(config.stateFile)) return undefined;
  return JSON.parse(readFileSync(config.stateFile, 'utf8')) as StackState;
}

/** Atomic (write, then rename), so a reader never sees half a file. */
export function writeState(config: LocalStackConfig, state: Omit<StackState, 'updatedAt'>): void {
  mkdirSync(config.dir, { recursive: true });
  const temporary = `${config.stateFile}.${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
  renameSync(temporary, config.stateFile);
}

/** The marker in the supervisor's command line, to recognise it by pid. */
export const supervisorScript = path.join('cli', 'supervisor.');

export function isSupervisorAlive(state: StackState): boolean {
  return isAlive(state.supervisorPid) && (commandLineOf(state.supervisorPid) ?? '').includes(supervisorScript);
}

/**
 * Stops whatever a previous `up` started. Normally the supervisor stops its children itself;
 * if it died (even SIGKILLed), the pids it recorded are stopped one by one, and the
 * embedded PostgreSQL through its data directory.
 */
export async function stopLocalStack(config: LocalStackConfig, log: (message: string) => void): Promise<boolean> {
  const state = readState(config);
  const dataDir = state?.postgresDataDir ?? postgresDataDir(config);
  if (!state && !isPostgresRunning(dataDir)) return false;

  if (state && isSupervisorAlive(state)) {
    log(`stopping the supervisor (pid ${state.supervisorPid})`);
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (isAlive(state.supervisorPid) && Date.now() < deadline) await sleep(200);
    if (isAlive(state.supervisorPid)) {
      log('the supervisor did not stop within 60 s: killing it');
      process.kill(state.supervisorPid, 'SIGKILL');
    }
  }
  for (const recorded of [...(state?.processes ?? [])].reverse()) {
    if (commandLineOf(recorded.pid)?.includes(recorded.command)) log(`stopping ${recorded.name} (pid ${recorded.pid})`);
    await stopPid(recorded.pid, { expectedCommand: recorded.command });
  }
  if (isPostgresRunning(dataDir)) {
    log('stopping PostgreSQL');
    await stopPostgres(dataDir);
  }
  rmSync(config.stateFile, { force: true });
  return true;
}
