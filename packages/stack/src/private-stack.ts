import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startNginx } from './nginx.js';
import { repoRoot } from './paths.js';
import { getFreePorts } from './ports.js';
import { ensureDatabase, startPostgres, stopPostgres, type PostgresOptions } from './postgres.js';
import { logTail, runToCompletion } from './processes.js';
import { startRedis, type RedisConfigOptions, type RedisServer } from './redis.js';
import { generateJwtSigningKey } from './secrets.js';
import { runMigrations, services, startServiceInstance, type Runtime, type ServiceInstance, type ServiceName, type SharedServiceConfig } from './services.js';
import { waitFor } from './wait.js';

/**
 * A whole stack of its own for a tool run (scripts/bench, scripts/chaos): optionally its own
 * PostgreSQL and Redis in a work directory, `instancesPerService` instances of every service,
 * and nginx rendered from the real template with the internal load balancer as bets'
 * WALLET_URL, exactly as ./scripts/up wires them.
 */

/** Where the database and Redis come from: given (tests), or started here in `workDir`. */
export type StackInfrastructure = { databaseUrl: string; redisUrl: string } | { workDir: string; databaseName: string };

export interface PrivateStackOptions {
  infrastructure: StackInfrastructure;
  runtime: Runtime;
  instancesPerService: number;
  /** Logs and nginx runtime directories. */
  logDir: string;
  /** Names the run in the JWT `kid` and the admin's email domain. */
  name: string;
  nodeEnv: SharedServiceConfig['nodeEnv'];
  logLevel?: string;
  /** Variables per service over serviceEnv()'s (raised limits, short timers). */
  extraEnv(service: ServiceName): Record<string, string>;
  /** Run the bets fixture seed (a slate of upcoming events) before the instances start. */
  seedFixtures: boolean;
}

/** Stop and start again, on the same data and port. */
export interface Restartable {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface PrivateStack {
  /** nginx in front of the services. */
  url: string;
  databaseUrl: string;
  /** ADMIN_EMAILS of every instance. */
  adminEmail: string;
  /** The current instances; `restartInstance` replaces an entry. */
  instances: Record<ServiceName, ServiceInstance[]>;
  /** Starts instance `index` of `service` again on its port (its previous process must have exited). */
  restartInstance(service: ServiceName, index: number): Promise<ServiceInstance>;
  /** Present when the stack started PostgreSQL and Redis itself. */
  postgres?: Restartable;
  redis?: Restartable;
  /** Resolves once every instance's /ready answers 200. */
  waitUntilReady(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A service command (`seed`, `audit`) from dist or sources, like the services' own scripts. */
function serviceCommand(service: ServiceName, name: string, runtime: Runtime): { command: string; args: string[] } {
  const dir = path.join(repoRoot, 'services', service);
  if (runtime === 'dist') return { command: process.execPath, args: [path.join(dir, 'dist', `${name}.js`)] };
  return { command: process.execPath, args: ['--import', 'tsx', '--conditions=ludic-source', path.join(dir, 'src', `${name}.ts`)] };
}

/** Runs a service command (seed, audit) to completion; returns its exit code and output. */
export async function runServiceCommand(
  service: ServiceName,
  name: string,
  runtime: Runtime,
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const { command, args } = serviceCommand(service, name, runtime);
  const { code, stdout, stderr } = await runToCompletion(command, args, { cwd: repoRoot, env: { ...process.env, DATABASE_URL: databaseUrl, ...extraEnv } });
  return { code, output: stdout + stderr };
}

async function isReady(instance: ServiceInstance): Promise<boolean> {
  const response = await fetch(`${instance.url}/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  await response?.arrayBuffer();
  return response?.status === 200;
}

export async function startPrivateStack(options: PrivateStackOptions): Promise<PrivateStack> {
  // Stopped in reverse order of start, also when start-up fails half-way.
  const started: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of started.reverse()) await step().catch(() => undefined);
  };
  try {
    mkdirSync(options.logDir, { recursive: true });
    let databaseUrl: string;
    let redisUrl: string;
    let postgres: Restartable | undefined;
    let redis: Restartable | undefined;
    if ('workDir' in options.infrastructure) {
      const { workDir, databaseName } = options.infrastructure;
      mkdirSync(workDir, { recursive: true });
      // PostgreSQL runs as the postgres user when we are root: it must be able to enter workDir.
      chmodSync(workDir, 0o755);
      const [postgresPort, redisPort] = (await getFreePorts(2)) as [number, number];
      const postgresOptions: PostgresOptions = { dataDir: path.join(workDir, 'postgres', 'data'), port: postgresPort, password: randomBytes(16).toString('hex') };
      const postgresServer = await startPostgres(postgresOptions);
      postgres = { stop: () => stopPostgres(postgresOptions.dataDir), start: async () => void (await startPostgres(postgresOptions)) };
      started.push(postgres.stop);
      const redisOptions: RedisConfigOptions = { dir: path.join(workDir, 'redis'), port: redisPort };
      let redisServer: RedisServer = await startRedis(redisOptions);
      redis = {
        stop: () => redisServer.stop(),
        start: async () => {
          redisServer = await startRedis(redisOptions);
        },
      };
      started.push(() => redisServer.stop());
      await ensureDatabase(postgresServer.url('postgres'), databaseName);
      databaseUrl = postgresServer.url(databaseName);
      redisUrl = redisServer.url;
      await runMigrations({ databaseUrl, runtime: options.runtime, logFile: path.join(options.logDir, 'migrate.log') });
    } else {
      ({ databaseUrl, redisUrl } = options.infrastructure);
    }

    if (options.seedFixtures) {
      const seeded = await runServiceCommand('bets', 'seed', options.runtime, databaseUrl);
      if (seeded.code !== 0) throw new Error(`bets seed exited with ${seeded.code}\n${seeded.output}`);
    }

    const count = options.instancesPerService;
    const [internalPort, ...ports] = (await getFreePorts(services.length * count + 1)) as [number, ...number[]];
    const adminEmail = `admin@ludic.${options.name}`;
    const shared: SharedServiceConfig = {
      databaseUrl,
      redisUrl,
      internalToken: randomBytes(32).toString('base64url'),
      ...generateJwtSigningKey(`${options.name}-${randomBytes(4).toString('hex')}`),
      adminEmails: adminEmail,
      // As in ./scripts/up: bets reaches the wallet instances through the edge's internal load
      // balancer (nginx starts after the instances; clients arrive only once it is up).
      walletUrl: `http://127.0.0.1:${internalPort}`,
      nodeEnv: options.nodeEnv,
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    };
    const portOf = (service: ServiceName, index: number) => ports[services.findIndex(({ name }) => name === service) * count + index] as number;
    const launch = (service: ServiceName, index: number) => {
      const serverId = `${service}-${index + 1}`;
      return startServiceInstance({
        service,
        port: portOf(service, index),
        serverId,
        shared,
        runtime: options.runtime,
        extraEnv: options.extraEnv(service),
        logFile: path.join(options.logDir, `${serverId}.log`),
        healthTimeoutMs: 90_000,
      });
    };
    const instances = Object.fromEntries(services.map(({ name }) => [name, [] as ServiceInstance[]])) as Record<ServiceName, ServiceInstance[]>;
    // Whatever instance holds a slot when the stack stops is the one stopped.
    started.push(async () => {
      await Promise.all(Object.values(instances).flat().map((instance) => instance.stop()));
    });
    await Promise.all(
      services.flatMap(({ name }) =>
        Array.from({ length: count }, async (_, index) => {
          instances[name][index] = await launch(name, index);
        }),
      ),
    );

    const [edgePort] = (await getFreePorts(1)) as [number];
    const staticRoot = path.join(options.logDir, 'static');
    mkdirSync(staticRoot, { recursive: true });
    const edge = await startNginx({
      port: edgePort,
      runtimeDir: path.join(options.logDir, 'nginx'),
      staticRoot,
      // One load generator is one client address: the edge's per-IP limits would answer it 429.
      perIpLimits: 'off',
      internalListen: `127.0.0.1:${internalPort}`,
      upstreams: {
        auth: instances['auth-gateway'].map((instance) => instance.url),
        wallet: instances.wallet.map((instance) => instance.url),
        bets: instances.bets.map((instance) => instance.url),
      },
    });
    started.push(edge.stop);

    const waitUntilReady = async (timeoutMs: number) => {
      await Promise.all(
        Object.values(instances)
          .flat()
          .map((instance) =>
            waitFor(() => isReady(instance), { what: `${instance.serverId} /ready`, timeoutMs, explain: () => logTail(instance.logFile) }),
          ),
      );
    };
    await waitUntilReady(60_000);
    const restartInstance = async (service: ServiceName, index: number) => {
      const instance = await launch(service, index);
      instances[service][index] = instance;
      return instance;
    };
    return { url: edge.url, databaseUrl, adminEmail, instances, restartInstance, postgres, redis, waitUntilReady, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
