import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensureDatabase,
  generateJwtSigningKey,
  getFreePorts,
  logTail,
  repoRoot,
  runMigrations,
  services,
  spawnLogged,
  startNginx,
  startPostgres,
  startRedis,
  startServiceInstance,
  stopChild,
  waitFor,
  type Runtime,
  type ServiceInstance,
  type ServiceName,
} from '@ludic/stack';

/** Where the stack's database and Redis come from: given (tests), or started here (scripts/bench). */
export type BenchInfrastructure = { databaseUrl: string; redisUrl: string } | { workDir: string };

export interface BenchStackOptions {
  infrastructure: BenchInfrastructure;
  runtime: Runtime;
  instancesPerService: number;
  /** DATABASE_POOL_SIZE of every instance; the bet-SQL ceiling uses the same total. */
  poolSize: number;
  /** Logs, nginx runtime directories. */
  logDir: string;
}

export interface BenchStack {
  /** nginx in front of the real services. */
  url: string;
  /** The same nginx config in front of bare Fastify hello-world processes. */
  helloUrl: string;
  databaseUrl: string;
  instances: Record<ServiceName, ServiceInstance[]>;
  helloPids: number[];
  stop(): Promise<void>;
}

/** A balance nobody exhausts in a run, so the hot-wallet scenario measures the row, not refusals. */
export const BENCH_OPENING_BALANCE = '100000000.00';
const UNLIMITED = '1000000000';

/**
 * Every limit that would turn load from one machine into 429s is raised; nothing else differs
 * from ./scripts/up (production mode, default log level, same nginx template).
 */
function benchEnv(service: ServiceName, poolSize: number): Record<string, string> {
  const common = { USER_RATE_LIMIT_MAX: UNLIMITED, DATABASE_POOL_SIZE: String(poolSize), JWT_ACCESS_TTL_SECONDS: '3600' };
  if (service === 'auth-gateway') return { ...common, LOGIN_RATE_LIMIT_MAX: UNLIMITED, REGISTER_RATE_LIMIT_MAX: UNLIMITED };
  if (service === 'wallet') return { ...common, OPENING_BALANCE: BENCH_OPENING_BALANCE };
  return common;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** `node` with tsx for one of this package's own scripts. */
export function benchScriptCommand(script: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', '--conditions=ludic-source', path.join(here, script)] };
}

/** A service's command (`dist/<name>.js`, or its source through tsx). */
function serviceCommand(service: ServiceName, name: string, runtime: Runtime): { command: string; args: string[] } {
  const dir = path.join(repoRoot, 'services', service);
  if (runtime === 'dist') return { command: process.execPath, args: [path.join(dir, 'dist', `${name}.js`)] };
  return { command: process.execPath, args: ['--import', 'tsx', '--conditions=ludic-source', path.join(dir, 'src', `${name}.ts`)] };
}

/** Runs a service command (seed, audit) to completion; returns its exit code and output. */
export async function runServiceCommand(service: ServiceName, name: string, runtime: Runtime, databaseUrl: string): Promise<{ code: number; output: string }> {
  const { command, args } = serviceCommand(service, name, runtime);
  const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode ?? 1));
  });
  return { code, output };
}

async function startHelloWorld(port: number, logFile: string): Promise<{ pid: number; url: string; stop(): Promise<void> }> {
  const { command, args } = benchScriptCommand('hello-world.ts');
  const child = spawnLogged({ command, args, cwd: repoRoot, env: { ...process.env, PORT: String(port) }, logFile });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`hello-world exited with ${child.exitCode}\n${logTail(logFile)}`);
        const response = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        await response?.arrayBuffer();
        return response?.status === 200;
      },
      { what: `hello-world on ${url}`, timeoutMs: 30_000 },
    );
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { pid: child.pid!, url, stop: () => stopChild(child) };
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  // Stopped in reverse order of start, also when start-up fails half-way.
  const started: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of started.reverse()) await step().catch(() => undefined);
  };
  try {
    mkdirSync(options.logDir, { recursive: true });
    let databaseUrl: string;
    let redisUrl: string;
    if ('workDir' in options.infrastructure) {
      const workDir = options.infrastructure.workDir;
      mkdirSync(workDir, { recursive: true });
      // PostgreSQL runs as the postgres user when we are root: it must be able to enter workDir.
      chmodSync(workDir, 0o755);
      const [postgresPort, redisPort] = (await getFreePorts(2)) as [number, number];
      const postgres = await startPostgres({ dataDir: path.join(workDir, 'postgres', 'data'), port: postgresPort, password: randomBytes(16).toString('hex') });
      started.push(postgres.stop);
      const redis = await startRedis({ dir: path.join(workDir, 'redis'), port: redisPort });
      started.push(redis.stop);
      await ensureDatabase(postgres.url('postgres'), 'ludic_bench');
      databaseUrl = postgres.url('ludic_bench');
      redisUrl = redis.url;
      await runMigrations({ databaseUrl, runtime: options.runtime, logFile: path.join(options.logDir, 'migrate.log') });
    } else {
      ({ databaseUrl, redisUrl } = options.infrastructure);
    }

    const seeded = await runServiceCommand('bets', 'seed', options.runtime, databaseUrl);
    if (seeded.code !== 0) throw new Error(`bets seed exited with ${seeded.code}\n${seeded.output}`);

    const count = options.instancesPerService;
    const [internalPort, ...ports] = (await getFreePorts(services.length * count + count + 1)) as [number, ...number[]];
    const portOf = (serviceIndex: number, index: number) => ports[serviceIndex * count + index] as number;
    const shared = {
      databaseUrl,
      redisUrl,
      internalToken: randomBytes(32).toString('base64url'),
      ...generateJwtSigningKey(`bench-${randomBytes(4).toString('hex')}`),
      adminEmails: 'admin@ludic.bench',
      // As in ./scripts/up: bets reaches the wallet instances through the edge's internal load
      // balancer (nginx starts after the instances; players arrive only once it is up).
      walletUrl: `http://127.0.0.1:${internalPort}`,
      nodeEnv: 'production' as const,
    };
    const instances = Object.fromEntries(
      await Promise.all(
        services.map(async ({ name }, serviceIndex) => {
          const list = await Promise.all(
            Array.from({ length: count }, async (_, index) => {
              const serverId = `${name}-${index + 1}`;
              const instance = await startServiceInstance({
                service: name,
                port: portOf(serviceIndex, index),
                serverId,
                shared,
                runtime: options.runtime,
                extraEnv: benchEnv(name, options.poolSize),
                logFile: path.join(options.logDir, `${serverId}.log`),
                healthTimeoutMs: 90_000,
              });
              started.push(instance.stop);
              return instance;
            }),
          );
          return [name, list] as const;
        }),
      ),
    ) as Record<ServiceName, ServiceInstance[]>;

    const hello = await Promise.all(
      Array.from({ length: count }, (_, index) => startHelloWorld(ports[services.length * count + index] as number, path.join(options.logDir, `hello-world-${index + 1}.log`))),
    );
    for (const process of hello) started.push(process.stop);

    const [edgePort, helloEdgePort] = (await getFreePorts(2)) as [number, number];
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
    // The very same template and options, every upstream pointing at the hello-world processes:
    // /api/wallet through it costs exactly the edge's work plus the smallest Fastify answer.
    const helloUrls = hello.map((process) => process.url);
    const helloEdge = await startNginx({
      port: helloEdgePort,
      runtimeDir: path.join(options.logDir, 'nginx-hello'),
      staticRoot,
      perIpLimits: 'off',
      upstreams: { auth: helloUrls, wallet: helloUrls, bets: helloUrls },
    });
    started.push(helloEdge.stop);

    await Promise.all(
      Object.values(instances)
        .flat()
        .map((instance) =>
          waitFor(
            async () => {
              const response = await fetch(`${instance.url}/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
              await response?.arrayBuffer();
              return response?.status === 200;
            },
            { what: `${instance.serverId} /ready`, timeoutMs: 60_000, explain: () => logTail(instance.logFile) },
          ),
        ),
    );
    return { url: edge.url, helloUrl: helloEdge.url, databaseUrl, instances, helloPids: hello.map((process) => process.pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resident set size of a process in bytes (VmRSS), or undefined once it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Kernel clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** CPU time a process has used so far (user + system), in seconds, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: fields are counted after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

export interface ProcessUsage {
  /** Peak RSS of the group's largest process (the 150 MB budget is per process), bytes. */
  peakRssBytes: Record<string, number>;
  /** CPU seconds all processes of the group used while sampling. */
  cpuSeconds: Record<string, number>;
}

/**
 * Samples each process's RSS every `intervalMs` while a scenario runs, and the CPU time each
 * group used over the whole scenario: CPU per request depends far less on what else runs on
 * the machine than requests per second do.
 */
export function sampleProcesses(groups: Record<string, number[]>, intervalMs = 200): { stop(): ProcessUsage } {
  const peaks: Record<string, number> = Object.fromEntries(Object.keys(groups).map((name) => [name, 0]));
  const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  const cpuAtStart = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, cpuOf(pids)]));
  const sample = () => {
    for (const [name, pids] of Object.entries(groups)) {
      for (const pid of pids) peaks[name] = Math.max(peaks[name] ?? 0, residentBytes(pid) ?? 0);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const cpu = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, cpuOf(pids) - (cpuAtStart[name] ?? 0)]));
      return { peakRssBytes: peaks, cpuSeconds: cpu };
    },
  };
}
