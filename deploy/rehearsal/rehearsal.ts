import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  entryCommand,
  generateJwtSigningKey,
  loadNginxTemplate,
  logTail,
  renderNginxConfig,
  repoRoot,
  runMigrations,
  serviceEnv,
  spawnLogged,
  stopChild,
  stopPostgres,
  waitFor,
  type Runtime,
  type ServiceName,
  type SharedServiceConfig,
} from '@ludic/stack';
import { acquireHostLock, createNetwork, hosts, inHost, removeNetwork, subnet, type Host } from './network.js';

/**
 * A multi-server deployment rehearsed on one machine: a load balancer (the edge nginx,
 * rendered in deploy mode), two app hosts (one instance of every service each, on the
 * production ports), and a data host (PostgreSQL, Redis), each in its own network namespace.
 */

export const servicePorts: Record<ServiceName, number> = { 'auth-gateway': 4101, wallet: 4201, bets: 4301 };
export const adminEmail = 'rehearsal-admin@example.test';

export type AppHostName = 'app1' | 'app2';

export interface Rehearsal {
  /** The balancer's public address, as clients use it. */
  edgeUrl: string;
  databaseUrl: string;
  /** SIGKILLs every service process on the host: a crashed or powered-off machine. */
  killAppHost(name: AppHostName): Promise<void>;
  startAppHost(name: AppHostName): Promise<void>;
  stop(): Promise<void>;
}

interface RehearsalOptions {
  dir: string;
  runtime: Runtime;
}

export async function startRehearsal(options: RehearsalOptions): Promise<Rehearsal> {
  // Undone in reverse on stop(), including after a failed start.
  const undo: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const step of undo.reverse()) await (async () => step())().catch((error) => console.error('rehearsal teardown:', error));
    undo.length = 0;
  };
  undo.push(await acquireHostLock(180_000));
  try {
    // Every host's processes run as their own users (postgres, www-data) and must reach it.
    chmodSync(options.dir, 0o755);
    await createNetwork();
    undo.push(removeNetwork);

    const postgresPassword = randomBytes(18).toString('hex');
    const redisPassword = randomBytes(18).toString('hex');
    const dataDir = path.join(options.dir, 'data-host');
    mkdirSync(dataDir, { recursive: true });
    const dataLog = path.join(dataDir, 'data-host.log');
    const dataHostScript = path.join(repoRoot, 'deploy', 'rehearsal', 'data-host.ts');
    const data = spawnLogged({
      ...inHost(hosts.data, process.execPath, ['--conditions=ludic-source', '--import=tsx', dataHostScript, dataDir, hosts.data.address, subnet]),
      cwd: repoRoot,
      env: { ...process.env, POSTGRES_PASSWORD: postgresPassword, REDIS_PASSWORD: redisPassword },
      logFile: dataLog,
    });
    undo.push(async () => {
      await stopChild(data, { graceMs: 30_000 });
      // pg_ctl detached the server: should the launcher have died, stop it by its data directory.
      await stopPostgres(path.join(dataDir, 'postgres', 'data'));
    });
    await healthyUnlessExited(data, dataLog, () => waitFor(async () => logTail(dataLog, 5).includes('data host ready'), { what: 'the data host (PostgreSQL, Redis)', timeoutMs: 60_000, explain: () => logTail(dataLog) }));

    const databaseUrl = `postgres://ludic:${postgresPassword}@${hosts.data.address}:5432/ludic`;
    await runMigrations({ databaseUrl, runtime: options.runtime, logFile: path.join(options.dir, 'migrate.log'), timeoutMs: 60_000 });

    const shared: SharedServiceConfig = {
      databaseUrl,
      redisUrl: `redis://:${redisPassword}@${hosts.data.address}:6379`,
      internalToken: randomBytes(24).toString('hex'),
      // Bets reaches the wallets through the balancer's internal server: either app host's
      // wallet may answer, and a dead one is retried on the other.
      walletUrl: `http://${hosts.lb.address}:8081`,
      ...generateJwtSigningKey('rehearsal'),
      adminEmails: adminEmail,
      nodeEnv: 'production',
      logLevel: 'warn',
    };
    const running = new Map<string, ChildProcess>();
    const startService = async (host: Host, service: ServiceName) => {
      const port = servicePorts[service];
      const serverId = `${service}-${host.name}`;
      const logFile = path.join(options.dir, `${serverId}.log`);
      const { command, args } = entryCommand(service, 'server', options.runtime);
      const child = spawnLogged({
        ...inHost(host, command, args),
        cwd: repoRoot,
        env: {
          ...serviceEnv(service, { port, serverId }, shared),
          HOST: '0.0.0.0',
          // Every registration arrives from the balancer's one address, and each of the
          // rehearsal's few users sends far more than a person's 600 requests a minute.
          REGISTER_RATE_LIMIT_MAX: '1000',
          USER_RATE_LIMIT_MAX: '1000000',
        },
        logFile,
      });
      running.set(serverId, child);
      await healthyUnlessExited(child, logFile, () => waitFor(
        async () => {
          const response = await fetch(`http://${host.address}:${port}/health`, { signal: AbortSignal.timeout(1000) });
          await response.arrayBuffer();
          return response.status === 200;
        },
        { what: `${serverId} /health`, timeoutMs: 60_000, explain: () => logTail(logFile) },
      ));
    };
    const appServices = (name: AppHostName) => (Object.keys(servicePorts) as ServiceName[]).map((service) => `${service}-${name}`);
    const killAppHost = async (name: AppHostName) => {
      await Promise.all(
        appServices(name).map(async (serverId) => {
          const child = running.get(serverId);
          running.delete(serverId);
          if (child) await stopChild(child, { signal: 'SIGKILL' });
        }),
      );
    };
    const startAppHost = async (name: AppHostName) => {
      await Promise.all((Object.keys(servicePorts) as ServiceName[]).map((service) => startService(hosts[name], service)));
    };
    undo.push(async () => {
      await Promise.all([...running.values()].map((child) => stopChild(child, { graceMs: 10_000 })));
      running.clear();
    });
    await startAppHost('app1');
    await startAppHost('app2');

    const edgeUrl = await startBalancer(options.dir, undo);
    return { edgeUrl, databaseUrl, killAppHost, startAppHost, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits for `ready`, failing at once (with its log) should the process exit first. */
async function healthyUnlessExited(child: ChildProcess, logFile: string, ready: () => Promise<unknown>): Promise<void> {
  let onExit: (() => void) | undefined;
  const died = new Promise<never>((_, reject) => {
    onExit = () => reject(new Error(`${child.spawnargs.join(' ')} exited with ${child.exitCode ?? child.signalCode}\n${logTail(logFile)}`));
    if (child.exitCode !== null || child.signalCode !== null) onExit();
    else child.once('exit', onExit);
  });
  try {
    await Promise.race([ready(), died]);
  } finally {
    child.off('exit', onExit!);
  }
}

/**
 * The edge config exactly as a deployment renders it (deploy mode: system nginx, www-data
 * workers), with the pid file and logs moved into the rehearsal's directory, since the
 * "machines" share this one's filesystem; run in the foreground so it can be stopped.
 */
async function startBalancer(dir: string, undo: (() => Promise<void> | void)[]): Promise<string> {
  const lbDir = path.join(dir, 'lb');
  const staticRoot = path.join(lbDir, 'web');
  mkdirSync(staticRoot, { recursive: true });
  writeFileSync(path.join(staticRoot, 'index.html'), '<!doctype html><title>Ludic</title>\n');
  // The workers run as www-data and must reach the static files.
  for (let current = staticRoot; current !== path.dirname(current); current = path.dirname(current)) {
    if (current.startsWith(dir) || current === dir) chmodSync(current, 0o755);
  }
  const appAddresses = (port: number) => [hosts.app1, hosts.app2].map((host) => `${host.address}:${port}`);
  const rendered = renderNginxConfig(loadNginxTemplate(), {
    listen: `${hosts.lb.address}:80`,
    internalListen: `${hosts.lb.address}:8081`,
    staticRoot,
    upstreams: { auth: appAddresses(servicePorts['auth-gateway']), wallet: appAddresses(servicePorts.wallet), bets: appAddresses(servicePorts.bets) },
    user: 'www-data',
    // Every request of the rehearsal comes from one client address.
    perIpLimits: 'off',
  });
  const config = rendered.replaceAll('/run/nginx.pid', path.join(lbDir, 'nginx.pid')).replaceAll('/var/log/nginx/', `${lbDir}/`);
  const configFile = path.join(lbDir, 'nginx.conf');
  writeFileSync(configFile, config);
  const logFile = path.join(lbDir, 'nginx-stdout.log');
  const nginx = spawnLogged({ ...inHost(hosts.lb, 'nginx', ['-e', path.join(lbDir, 'ludic-error.log'), '-c', configFile, '-g', 'daemon off;']), logFile });
  undo.push(() => stopChild(nginx, { signal: 'SIGQUIT', graceMs: 5_000 }));
  const edgeUrl = `http://${hosts.lb.address}`;
  await healthyUnlessExited(nginx, logFile, () => waitFor(
    async () => {
      const response = await fetch(`${edgeUrl}/health/wallet`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return response.status === 200;
    },
    { what: 'the balancer', timeoutMs: 15_000, explain: () => `${logTail(logFile)}\n${logTail(path.join(lbDir, 'ludic-error.log'))}` },
  ));
  return edgeUrl;
}
