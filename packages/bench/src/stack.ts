import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  getFreePorts,
  logTail,
  repoRoot,
  spawnLogged,
  startNginx,
  startPrivateStack,
  stopChild,
  waitFor,
  type Runtime,
  type ServiceInstance,
  type ServiceName,
} from '@ludic/stack';

export { runServiceCommand } from '@ludic/stack';

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
  const stack = await startPrivateStack({
    infrastructure: 'workDir' in options.infrastructure ? { workDir: options.infrastructure.workDir, databaseName: 'ludic_bench' } : options.infrastructure,
    runtime: options.runtime,
    instancesPerService: options.instancesPerService,
    logDir: options.logDir,
    name: 'bench',
    nodeEnv: 'production',
    extraEnv: (service) => benchEnv(service, options.poolSize),
    seedFixtures: true,
  });
  // Stopped in reverse order of start (the real stack last), also when start-up fails half-way.
  const started: (() => Promise<void>)[] = [stack.stop];
  const stop = async () => {
    for (const step of started.reverse()) await step().catch(() => undefined);
  };
  try {
    const count = options.instancesPerService;
    const ports = (await getFreePorts(count + 1)) as number[];
    const hello = await Promise.all(
      Array.from({ length: count }, (_, index) => startHelloWorld(ports[index] as number, path.join(options.logDir, `hello-world-${index + 1}.log`))),
    );
    for (const process of hello) started.push(process.stop);

    const staticRoot = path.join(options.logDir, 'static');
    mkdirSync(staticRoot, { recursive: true });
    // The very same template and options, every upstream pointing at the hello-world processes:
    // /api/wallet through it costs exactly the edge's work plus the smallest Fastify answer.
    const helloUrls = hello.map((process) => process.url);
    const helloEdge = await startNginx({
      port: ports[count] as number,
      runtimeDir: path.join(options.logDir, 'nginx-hello'),
      staticRoot,
      perIpLimits: 'off',
      upstreams: { auth: helloUrls, wallet: helloUrls, bets: helloUrls },
    });
    started.push(helloEdge.stop);
    return { url: stack.url, helloUrl: helloEdge.url, databaseUrl: stack.databaseUrl, instances: stack.instances, helloPids: hello.map((process) => process.pid), stop };
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
