/**
 * The local stack's supervisor, started detached by ./scripts/up. It owns every process of
 * the stack: starts PostgreSQL, Redis, migrations, seeds, the service instances and nginx,
 * restarts crashed ones with backoff, publishes pids and status in .ludic/state.json, and
 * stops everything on SIGTERM (./scripts/down). Its log is .ludic/logs/supervisor.log.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { apiDocsEnabled, buildApiDocs } from '../api-docs.js';
import { localStackConfig, postgresDataDir, writeState, type RecordedProcess, type StackState } from '../local-stack.js';
import { resolveStaticRoot, startNginx } from '../nginx.js';
import { ensureDatabase, startPostgres, stopPostgres } from '../postgres.js';
import { redisUrl, startRedis } from '../redis.js';
import { loadOrCreateSecrets } from '../secrets.js';
import { seed } from '../seed.js';
import { runMigrations, services, startServiceInstance, type SharedServiceConfig } from '../services.js';
import { waitForHttp } from '../wait.js';
import { repoRoot } from '../paths.js';

const config = localStackConfig();
const edgeUrl = `http://127.0.0.1:${config.httpPort}`;

function log(message: string): void {
  console.log(`${new Date().toISOString()} ${message}`);
}

interface Running {
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A process kept running: restarted after a crash, 1 s → 30 s backoff, reset after a minute of uptime. */
class SupervisedProcess {
  private running: Running | undefined;
  private stopping = false;
  private backoffMs = 1000;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The launch in progress, so stop() can wait for it instead of orphaning its process. */
  private launching: Promise<void> | undefined;

  constructor(
    readonly record: Omit<RecordedProcess, 'pid'>,
    private readonly launch: () => Promise<Running>,
    private readonly onChange: () => void,
  ) {}

  get pid(): number | undefined {
    return this.running?.process.pid;
  }

  start(): Promise<void> {
    this.launching = this.launch().then((running) => {
      this.running = running;
      this.startedAt = Date.now();
      running.process.once('exit', (code, signal) => this.crashed(code ?? signal));
      this.onChange();
    });
    return this.launching;
  }

  private crashed(reason: number | string | null): void {
    if (this.stopping) return;
    if (Date.now() - this.startedAt > 60_000) this.backoffMs = 1000;
    log(`${this.record.name} exited (${reason}); restarting in ${this.backoffMs / 1000}s — see ${this.record.logFile}`);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    this.restartTimer = setTimeout(() => {
      this.start().then(
        () => log(`${this.record.name} restarted (pid ${this.pid})`),
        (error: Error) => {
          log(`${this.record.name} failed to restart: ${error.message}`);
          if (!this.stopping) this.scheduleRestart();
        },
      );
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.launching?.catch(() => undefined);
    await this.running?.stop();
  }
}

const supervised: SupervisedProcess[] = [];
let state: Omit<StackState, 'updatedAt' | 'processes'> = { supervisorPid: process.pid, status: 'starting', url: edgeUrl };

function publish(): void {
  const processes = supervised.flatMap((unit) => (unit.pid === undefined ? [] : [{ ...unit.record, pid: unit.pid }]));
  writeState(config, { ...state, processes });
}

function supervise(record: Omit<RecordedProcess, 'pid'>, launch: () => Promise<Running>): SupervisedProcess {
  const unit = new SupervisedProcess(record, launch, publish);
  supervised.push(unit);
  return unit;
}

let stopped: Promise<void> | undefined;
/** Stops everything in reverse order of start; safe to call more than once. */
function stopAll(): Promise<void> {
  stopped ??= (async () => {
    for (const unit of [...supervised].reverse()) await unit.stop();
    if (state.postgresDataDir) await stopPostgres(state.postgresDataDir);
    supervised.length = 0;
  })();
  return stopped;
}

async function start(): Promise<void> {
  const secrets = loadOrCreateSecrets(config.secretsFile);
  const logFile = (name: string) => path.join(config.logDir, `${name}.log`);

  let databaseUrl = config.externalDatabaseUrl;
  if (databaseUrl === undefined) {
    const dataDir = postgresDataDir(config);
    log(`starting PostgreSQL on port ${config.postgresPort}`);
    state = { ...state, postgresDataDir: dataDir };
    publish();
    const postgres = await startPostgres({ dataDir, port: config.postgresPort, password: secrets.postgresPassword, logFile: logFile('postgres') });
    await ensureDatabase(postgres.url('postgres'), 'ludic');
    databaseUrl = postgres.url('ludic');
  }

  let redis = config.externalRedisUrl;
  if (redis === undefined) {
    log(`starting Redis on port ${config.redisPort}`);
    const options = { dir: path.join(config.dataDir, 'redis'), port: config.redisPort, password: secrets.redisPassword, logFile: logFile('redis') };
    await supervise({ name: 'redis', command: `redis-server 127.0.0.1:${config.redisPort}`, port: config.redisPort, logFile: options.logFile }, () =>
      startRedis(options),
    ).start();
    redis = redisUrl(config.redisPort, secrets.redisPassword);
  }

  log('running migrations');
  await runMigrations({ databaseUrl, runtime: 'dist', logFile: logFile('migrate') });

  const shared: SharedServiceConfig = {
    databaseUrl,
    redisUrl: redis,
    internalToken: secrets.internalToken,
    jwtPrivateJwk: secrets.jwtPrivateJwk,
    jwtPublicJwks: secrets.jwtPublicJwks,
    adminEmails: config.adminEmails,
    // Through the edge's internal load balancer: a wallet instance that dies is failed over.
    // nginx starts after the instances: until then a bets worker's wallet call fails fast
    // and is retried on its next pass; players arrive only once the stack is ready.
    walletUrl: `http://127.0.0.1:${config.internalPort}`,
    nodeEnv: 'production',
  };
  const instances = services.flatMap((service) =>
    Array.from({ length: config.instancesPerService }, (_, index) => {
      const serverId = `${service.name}-${index + 1}`;
      const port = service.basePort + index + 1;
      return { service, serverId, port, url: `http://127.0.0.1:${port}` };
    }),
  );
  log(`starting ${instances.map((instance) => `${instance.serverId}:${instance.port}`).join(', ')}`);
  await Promise.all(
    instances.map(({ service, serverId, port }) =>
      supervise(
        { name: serverId, command: path.join('services', service.name, 'dist', 'server.js'), port, logFile: logFile(serverId) },
        () => startServiceInstance({ service: service.name, port, serverId, shared, runtime: 'dist', logFile: logFile(serverId) }),
      ).start(),
    ),
  );

  const upstreamsOf = (edge: string) => instances.filter((instance) => instance.service.edge === edge).map((instance) => instance.url);
  const runtimeDir = path.join(config.dataDir, 'nginx');
  log(`starting nginx on ${edgeUrl}`);
  await supervise({ name: 'nginx', command: path.join(runtimeDir, 'nginx.conf'), port: config.httpPort, logFile: logFile('nginx-error') }, () =>
    startNginx({
      port: config.httpPort,
      runtimeDir,
      logDir: config.logDir,
      upstreams: { auth: upstreamsOf('auth'), wallet: upstreamsOf('wallet'), bets: upstreamsOf('bets') },
      staticRoot: resolveStaticRoot(config.dataDir),
      apiDocsRoot: apiDocsEnabled() ? buildApiDocs(path.join(config.dataDir, 'api-docs')) : undefined,
      internalListen: `127.0.0.1:${config.internalPort}`,
    }),
  ).start();

  log('waiting for every instance to be ready');
  await Promise.all([
    ...instances.map((instance) => waitForHttp(`${instance.url}/ready`, { timeoutMs: 60_000, what: `${instance.serverId} /ready` })),
    ...['/health', '/health/auth', '/health/wallet', '/health/bets'].map((route) => waitForHttp(`${edgeUrl}${route}`, { timeoutMs: 30_000 })),
  ]);

  await seed({ edgeUrl, databaseUrl, internalToken: secrets.internalToken, adminEmail: config.adminEmail, adminPassword: config.adminPassword, log });
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping the stack`);
    state = { ...state, status: 'stopping' };
    publish();
    void stopAll().then(() => {
      log('stopped');
      process.exit(0);
    });
  });
}

try {
  log(`supervisor ${process.pid} starting the stack from ${repoRoot}`);
  publish();
  await start();
  state = { ...state, status: 'ready' };
  publish();
  log(`ready on ${edgeUrl}`);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  log(`start-up failed: ${message}`);
  await stopAll();
  state = { ...state, status: 'failed', error: message };
  publish();
  process.exit(1);
}
