import { setTimeout as sleep } from 'node:timers/promises';
import { services, stopChild, type PrivateStack, type ServiceName } from '@ludic/stack';
import { NetworkError, type ChaosClient } from './client.js';
import type { Random } from './prng.js';

/**
 * The fault side of a chaos run: SIGKILL a random service instance and start it again after a
 * short pause, over and over (never both instances of one service at once); restart Redis a
 * few times; restart PostgreSQL exactly once, on the same data directory and port, and time
 * how long the services take to serve again by themselves.
 */

/** After a fault's component is back, errors still count as caused by it for this long. */
const FAULT_GRACE_MS = 5_000;
/** How long a restarted component may take to come back before the run calls it lost. */
const COMEBACK_BOUND_MS = 60_000;

export interface FaultPlan {
  /** Offsets from the start of the load, in ms. */
  postgresAt: number;
  postgresDownMs: number;
  redisAt: number[];
  /** No new fault starts after this offset: the rest of the run shows the stack recovered. */
  faultsEndAt: number;
}

export interface FaultRecord {
  kind: 'kill' | 'redis restart' | 'postgres restart';
  /** The instance killed, or `redis` / `postgres`. */
  target: string;
  service?: ServiceName;
  startedAt: number;
  /** When the component served again (an instance healthy, Redis answering, PostgreSQL started). */
  backAt?: number;
  /** Why it did not come back, if it did not. */
  error?: string;
}

export interface PostgresRecovery {
  stoppedAt: number;
  startedAt: number;
  /** Per service: ms from PostgreSQL accepting connections again to its first 2xx on a request that needs the database. */
  firstSuccessMs: Partial<Record<ServiceName, number>>;
  /** The slowest service's time, once all three served (undefined if one never did). */
  recoveryMs?: number;
}

export interface FaultLog {
  records: FaultRecord[];
  postgres?: PostgresRecovery;
}

/** A record's window: from the fault's start to FAULT_GRACE_MS after its component came back. */
export function faultWindow(record: FaultRecord, recovery: PostgresRecovery | undefined, runEnd: number): [number, number] {
  const back = record.kind === 'postgres restart' ? (recovery?.recoveryMs === undefined ? undefined : recovery.startedAt + recovery.recoveryMs) : record.backAt;
  return [record.startedAt, (back ?? runEnd) + FAULT_GRACE_MS];
}

/**
 * The plan for a run of `durationMs`: faults stop at 75 % of it; PostgreSQL restarts once
 * around 45 %; Redis once per 30 s (at least once), kept clear of the PostgreSQL restart so
 * its recovery time is PostgreSQL's alone.
 */
export function planFaults(random: Random, durationMs: number): FaultPlan {
  const faultsEndAt = Math.round(durationMs * 0.75);
  const postgresAt = Math.round(durationMs * (0.4 + random.next() * 0.1));
  const redisCount = Math.max(1, Math.round(durationMs / 30_000));
  const redisAt: number[] = [];
  for (let i = 0; i < redisCount; i += 1) {
    // Evenly over [10 %, 70 %] of the run, jittered; moved out of PostgreSQL's restart.
    let at = Math.round(durationMs * (0.1 + ((i + 0.5) / redisCount) * 0.6) + (random.next() - 0.5) * 2000);
    if (Math.abs(at - postgresAt) < 6_000) at = at < postgresAt ? postgresAt - 6_000 : postgresAt + 9_000;
    redisAt.push(Math.max(1_000, Math.min(at, faultsEndAt - 2_000)));
  }
  return { postgresAt, postgresDownMs: 2_000, redisAt: redisAt.sort((a, b) => a - b), faultsEndAt };
}

async function untilBack(what: () => Promise<unknown>, record: FaultRecord): Promise<void> {
  const deadline = Date.now() + COMEBACK_BOUND_MS;
  for (;;) {
    try {
      await what();
      record.backAt = Date.now();
      delete record.error;
      return;
    } catch (error) {
      record.error = (error as Error).message.split('\n')[0];
      if (Date.now() >= deadline) return;
      await sleep(1_000);
    }
  }
}

/** SIGKILLs instances until `endsAt`; each comes back after a short pause. */
async function killLoop(stack: PrivateStack, random: Random, endsAt: number, log: FaultLog, say: (message: string) => void): Promise<void> {
  const down = new Set<ServiceName>();
  const restarts: Promise<void>[] = [];
  // The first kills hit every service once, in random order; then any service.
  const firstKills = random.shuffle(services.map(({ name }) => name));
  await sleep(1_000);
  for (let round = 0; round < 1_000 && Date.now() < endsAt; round += 1) {
    const candidates = services.map(({ name }) => name).filter((name) => !down.has(name));
    const service = firstKills.find((name) => !down.has(name)) ?? (candidates.length > 0 ? random.pick(candidates) : undefined);
    const gap = random.int(1_000, 2_500);
    const pause = random.int(300, 1_500);
    if (service) {
      firstKills.splice(firstKills.indexOf(service), 1);
      const index = random.int(0, stack.instances[service].length - 1);
      const instance = stack.instances[service][index]!;
      const record: FaultRecord = { kind: 'kill', target: instance.serverId, service, startedAt: Date.now() };
      log.records.push(record);
      down.add(service);
      say(`SIGKILL ${instance.serverId}`);
      await stopChild(instance.process, { signal: 'SIGKILL' });
      restarts.push(
        (async () => {
          await sleep(pause);
          await untilBack(() => stack.restartInstance(service, index), record);
          down.delete(service);
        })(),
      );
    }
    await sleep(gap);
  }
  await Promise.all(restarts);
}

async function redisRestarts(stack: PrivateStack, plan: FaultPlan, loadStartedAt: number, random: Random, log: FaultLog, say: (message: string) => void): Promise<void> {
  const redis = stack.redis;
  if (!redis) throw new Error('the chaos stack must own its Redis');
  for (const at of plan.redisAt) {
    const pause = random.int(1_000, 2_500);
    await sleep(Math.max(0, loadStartedAt + at - Date.now()));
    const record: FaultRecord = { kind: 'redis restart', target: 'redis', startedAt: Date.now() };
    log.records.push(record);
    say('Redis: stop');
    await redis.stop();
    await sleep(pause);
    await untilBack(() => redis.start(), record);
    say(`Redis: back after ${record.backAt === undefined ? '—' : ((record.backAt - record.startedAt) / 1000).toFixed(1)} s`);
  }
}

/** Polls one service with a request that needs its database until it answers 2xx. */
async function firstSuccess(probe: () => Promise<{ status: number }>, deadline: number): Promise<number | undefined> {
  while (Date.now() < deadline) {
    try {
      const answer = await probe();
      if (answer.status >= 200 && answer.status < 300) return Date.now();
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
    await sleep(100);
  }
  return undefined;
}

async function postgresRestart(
  stack: PrivateStack,
  plan: FaultPlan,
  loadStartedAt: number,
  client: ChaosClient,
  admin: { email: string; password: string; token: string },
  log: FaultLog,
  say: (message: string) => void,
): Promise<void> {
  const postgres = stack.postgres;
  if (!postgres) throw new Error('the chaos stack must own its PostgreSQL');
  await sleep(Math.max(0, loadStartedAt + plan.postgresAt - Date.now()));
  const record: FaultRecord = { kind: 'postgres restart', target: 'postgres', startedAt: Date.now() };
  log.records.push(record);
  say('PostgreSQL: stop (fast shutdown)');
  await postgres.stop();
  const stoppedAt = Date.now();
  await sleep(plan.postgresDownMs);
  await untilBack(() => postgres.start(), record);
  if (record.backAt === undefined) return;
  const recovery: PostgresRecovery = { stoppedAt, startedAt: record.backAt, firstSuccessMs: {} };
  log.postgres = recovery;
  // One probe per service, each a request its database must serve.
  const deadline = record.backAt + COMEBACK_BOUND_MS;
  const probes: Record<ServiceName, () => Promise<{ status: number }>> = {
    'auth-gateway': () => client.call('probe', 'POST', '/api/auth/login', { body: { email: admin.email, password: admin.password } }),
    wallet: () => client.call('probe', 'GET', '/api/wallet', { token: admin.token }),
    bets: () => client.call('probe', 'GET', '/api/bets', { token: admin.token }),
  };
  await Promise.all(
    (Object.entries(probes) as [ServiceName, () => Promise<{ status: number }>][]).map(async ([service, probe]) => {
      const at = await firstSuccess(probe, deadline);
      if (at !== undefined) recovery.firstSuccessMs[service] = at - recovery.startedAt;
    }),
  );
  const times = Object.values(recovery.firstSuccessMs);
  if (times.length === services.length) recovery.recoveryMs = Math.max(...times);
  say(`PostgreSQL: up ${((recovery.startedAt - stoppedAt) / 1000).toFixed(1)} s after it stopped; every service served again ${recovery.recoveryMs === undefined ? 'NEVER' : `${(recovery.recoveryMs / 1000).toFixed(1)} s`} after that`);
}

/** Runs the whole plan; resolves once every fault is over and every component is back (or given up). */
export async function runFaults(options: {
  stack: PrivateStack;
  plan: FaultPlan;
  random: Random;
  loadStartedAt: number;
  client: ChaosClient;
  admin: { email: string; password: string; token: string };
  say(message: string): void;
}): Promise<FaultLog> {
  const { stack, plan, random, loadStartedAt, say } = options;
  const log: FaultLog = { records: [] };
  await Promise.all([
    killLoop(stack, random.fork(1), loadStartedAt + plan.faultsEndAt, log, say),
    redisRestarts(stack, plan, loadStartedAt, random.fork(2), log, say),
    postgresRestart(stack, plan, loadStartedAt, options.client, options.admin, log, say),
  ]);
  return log;
}
