import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { EdgeUpstreams } from './nginx-config.js';
import { repoRoot } from './paths.js';
import { exited, logTail, spawnLogged, stopChild } from './processes.js';
import { waitFor } from './wait.js';

export type ServiceName = 'auth-gateway' | 'wallet' | 'bets';

export interface ServiceDefinition {
  name: ServiceName;
  /** Its upstream at the edge (and its `/health/<edge>` path). */
  edge: keyof EdgeUpstreams;
  /** First port of its instances in the local stack (instance n listens on basePort + n). */
  basePort: number;
}

/** In migration order: a service may rely on an earlier one's schema existing, never its data. */
export const services: readonly ServiceDefinition[] = [
  { name: 'auth-gateway', edge: 'auth', basePort: 4100 },
  { name: 'wallet', edge: 'wallet', basePort: 4200 },
  { name: 'bets', edge: 'bets', basePort: 4300 },
];

/** `dist`: compiled JavaScript, as in production. `source`: TypeScript through tsx, for tests. */
export type Runtime = 'dist' | 'source';

export function entryCommand(service: ServiceName, entry: 'server' | 'migrate', runtime: Runtime): { command: string; args: string[] } {
  const dir = path.join(repoRoot, 'services', service);
  const flags = entry === 'server' ? SERVER_NODE_FLAGS : [];
  if (runtime === 'dist') return { command: process.execPath, args: [...flags, path.join(dir, 'dist', `${entry}.js`)] };
  return {
    command: process.execPath,
    args: [...flags, '--import', 'tsx', '--conditions=ludic-source', path.join(dir, 'src', `${entry}.ts`)],
  };
}

/**
 * Node flags of every service process, here and in the Dockerfile and systemd units alike, so
 * an instance stays within its 150 MB budget: V8 sizes its heap for the machine (GBs here) and
 * collects lazily, so under load an instance grew to 180 MB of mostly garbage while its live
 * heap after a full GC was 21–30 MB. 8 MiB semi-spaces (not 16) and an 80 MiB old space make
 * it collect sooner, at no measurable cost in throughput (scripts/bench). Raise the old space
 * if `nodejs_heap_size_used_bytes` ever approaches it.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--max-old-space-size=80'];

/** What every instance of the stack shares. */
export interface SharedServiceConfig {
  databaseUrl: string;
  redisUrl: string;
  /** Shared secret for /internal/ calls between services (≥ 32 characters). */
  internalToken: string;
  /** Base URL bets uses to reach the wallet. */
  walletUrl: string;
  /** Gateway's access-token signing key (private JWK JSON) and its public JWKS (every service). */
  jwtPrivateJwk: string;
  jwtPublicJwks: string;
  /** ADMIN_EMAILS: comma-separated emails that get role admin. */
  adminEmails: string;
  /** `production` for the local stack (compiled code), `test` under tests. */
  nodeEnv: 'production' | 'test' | 'development';
  logLevel?: string;
}

/**
 * The environment of one service instance: the single place where service variables are
 * assembled (add new ones here). Inherits this process's environment (PATH, extra settings a
 * developer exports) and overrides it with the stack's values.
 */
export function serviceEnv(
  service: ServiceName,
  instance: { port: number; serverId: string },
  shared: SharedServiceConfig,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: shared.nodeEnv,
    PORT: String(instance.port),
    HOST: '127.0.0.1',
    SERVER_ID: instance.serverId,
    DATABASE_URL: shared.databaseUrl,
    REDIS_URL: shared.redisUrl,
    LOG_LEVEL: shared.logLevel ?? process.env.LOG_LEVEL ?? 'info',
    JWT_PUBLIC_JWKS: shared.jwtPublicJwks,
    ADMIN_EMAILS: shared.adminEmails,
  };
  if (service === 'auth-gateway') env.JWT_PRIVATE_JWK = shared.jwtPrivateJwk;
  if (service === 'wallet' || service === 'bets') env.INTERNAL_TOKEN = shared.internalToken;
  if (service === 'bets') env.WALLET_URL = shared.walletUrl;
  return env;
}

export interface ServiceInstance {
  service: ServiceName;
  serverId: string;
  port: number;
  url: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  service: ServiceName;
  port: number;
  serverId: string;
  shared: SharedServiceConfig;
  runtime: Runtime;
  logFile: string;
  healthTimeoutMs?: number;
  /** Variables for this instance only, over serviceEnv's (tests: a fault switch, short timers). */
  extraEnv?: NodeJS.ProcessEnv;
}

/** Spawns one instance and waits until its /health answers 200. */
export async function startServiceInstance(options: StartServiceOptions): Promise<ServiceInstance> {
  const { command, args } = entryCommand(options.service, 'server', options.runtime);
  const child = spawnLogged({
    command,
    args,
    cwd: repoRoot,
    env: { ...serviceEnv(options.service, { port: options.port, serverId: options.serverId }, options.shared), ...options.extraEnv },
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${options.port}`;
  const died = exited(child).then(() => {
    throw new Error(`${options.serverId} exited with ${child.exitCode ?? child.signalCode} before it was healthy\n${logTail(options.logFile)}`);
  });
  died.catch(() => undefined);
  try {
    await Promise.race([
      died,
      waitFor(
        async () => {
          const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
          await response.arrayBuffer();
          return response.status === 200;
        },
        { what: `${options.serverId} /health`, timeoutMs: options.healthTimeoutMs ?? 30_000, explain: () => logTail(options.logFile) },
      ),
    ]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    service: options.service,
    serverId: options.serverId,
    port: options.port,
    url,
    logFile: options.logFile,
    process: child,
    stop: () => stopChild(child),
  };
}

/** Runs every service's migration command against `databaseUrl`, in order. */
export async function runMigrations(options: { databaseUrl: string; runtime: Runtime; logFile: string; timeoutMs?: number }): Promise<void> {
  for (const { name } of services) {
    const { command, args } = entryCommand(name, 'migrate', options.runtime);
    const child = spawnLogged({
      command,
      args,
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: options.databaseUrl },
      logFile: options.logFile,
    });
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited(child);
    clearTimeout(timer);
    if (child.exitCode !== 0) {
      const reason = child.signalCode === 'SIGKILL' ? `did not finish within ${timeoutMs / 1000}s` : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new Error(`migrations of ${name} ${reason}\n${logTail(options.logFile)}`);
    }
  }
}
