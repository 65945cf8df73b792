import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { runPaced } from './paced.js';
import type { BenchEvent, BenchUser } from './seed.js';

export interface LoadResult {
  requestsPerSecond: number;
  /** Completed responses (any status). */
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** A few non-2xx bodies, to say why without rerunning. */
  failureSamples: string[];
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second offered at even intervals (open loop, `runPaced`); unset: as fast as answered (autocannon). */
  overallRate?: number;
}

/** The stake of every benchmark bet: the minimum, so thousands fit any balance. */
export const BENCH_STAKE = '1.00';

const selections = ['home', 'draw', 'away'] as const;

/** Round-robin over a list, shared by every connection of a run. */
function rotation<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new Error('nothing to rotate over');
  let next = 0;
  return () => items[next++ % items.length] as T;
}

function bearer(user: BenchUser): Record<string, string> {
  return { authorization: `Bearer ${user.token}` };
}

type Request = autocannon.Request;

function authorizedGet(path: string, nextUser: () => BenchUser): Request {
  return {
    method: 'GET',
    path,
    setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...bearer(nextUser()) } }),
  };
}

/** A bet with a fresh Idempotency-Key, at the event's current odds, rotating events and selections. */
function placeBetRequest(nextUser: () => BenchUser, events: readonly BenchEvent[]): Request {
  const bets = events.flatMap((event) => selections.map((selection) => ({ eventId: event.id, selection, odds: event.odds[selection], amount: BENCH_STAKE })));
  const nextBet = rotation(bets);
  return {
    method: 'POST',
    path: '/api/bets',
    setupRequest: (request) => ({
      ...request,
      headers: { ...request.headers, ...bearer(nextUser()), 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify(nextBet()),
    }),
  };
}

function loginRequest(users: readonly BenchUser[]): Request {
  const nextUser = rotation(users);
  return {
    method: 'POST',
    path: '/api/auth/login',
    setupRequest: (request) => {
      const user = nextUser();
      return { ...request, headers: { ...request.headers, 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) };
    },
  };
}

export type ScenarioName =
  | 'GET /api/wallet'
  | 'GET /api/events'
  | 'GET /api/bets'
  | 'POST /api/bets (many users)'
  | 'POST /api/bets (many users, paced)'
  | 'POST /api/bets (one user)'
  | 'POST /api/auth/login'
  | 'mixed (80% reads, 20% bets)';

/** The request sequence each autocannon connection cycles through, per scenario. */
export function scenarioRequests(name: ScenarioName, users: readonly BenchUser[], hotUser: BenchUser, events: readonly BenchEvent[]): Request[] {
  const nextUser = rotation(users);
  switch (name) {
    case 'GET /api/wallet':
      return [authorizedGet('/api/wallet', nextUser)];
    case 'GET /api/events':
      return [{ method: 'GET', path: '/api/events' }];
    case 'GET /api/bets':
      return [authorizedGet('/api/bets', nextUser)];
    case 'POST /api/bets (many users)':
    case 'POST /api/bets (many users, paced)':
      return [placeBetRequest(nextUser, events)];
    case 'POST /api/bets (one user)':
      return [placeBetRequest(() => hotUser, events)];
    case 'POST /api/auth/login':
      return [loginRequest(users)];
    case 'mixed (80% reads, 20% bets)':
      return [
        authorizedGet('/api/wallet', nextUser),
        { method: 'GET', path: '/api/events' },
        authorizedGet('/api/bets', nextUser),
        authorizedGet('/api/wallet/transactions?limit=20', nextUser),
        placeBetRequest(nextUser, events),
      ];
  }
}

export const scenarioNames: readonly ScenarioName[] = [
  'GET /api/wallet',
  'GET /api/events',
  'GET /api/bets',
  'POST /api/bets (many users)',
  'POST /api/bets (many users, paced)',
  'POST /api/bets (one user)',
  'POST /api/auth/login',
  'mixed (80% reads, 20% bets)',
];

/** One run through the edge: autocannon as fast as answered, or `runPaced` at a rate. */
export async function runLoad(options: LoadOptions, requests: Request[]): Promise<LoadResult> {
  if (options.overallRate !== undefined) {
    return runPaced({ url: options.url, connections: options.connections, durationSeconds: options.durationSeconds, rate: options.overallRate }, requests);
  }
  const failureSamples: string[] = [];
  const withSampling = requests.map((request) => ({
    ...request,
    onResponse: (status: number, body: string) => {
      if ((status < 200 || status > 299) && failureSamples.length < 3) failureSamples.push(`${status} ${body.slice(0, 300)}`);
    },
  }));
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: withSampling,
    // Latencies of a loaded 2-core box can exceed autocannon's 10 s default only when
    // something is wrong; keep it, so such a run shows as errors rather than as a slow p99.
    timeout: 10,
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]));
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    // autocannon counts timeouts among its errors already.
    errors: result.errors,
    non2xx: result.non2xx,
    statusCodes,
    failureSamples,
  };
}
