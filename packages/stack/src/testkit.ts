import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApiDocs } from './api-docs.js';
import type { EdgeUpstreams, PerIpLimits } from './nginx-config.js';
import { resolveStaticRoot, startNginx } from './nginx.js';
import { getFreePort, getFreePorts } from './ports.js';
import { generateJwtSigningKey } from './secrets.js';
import { services, startServiceInstance, type Runtime, type ServiceInstance, type ServiceName } from './services.js';

/**
 * Test helpers over the PostgreSQL and Redis that ./scripts/test starts. It passes them in:
 *   LUDIC_TEST_DATABASE_URL       superuser URL of the cluster (its `postgres` database)
 *   LUDIC_TEST_TEMPLATE_DATABASE  database migrated by every service, cloned per test
 *   LUDIC_TEST_REDIS_URL          the test Redis
 *   LUDIC_TEST_TMPDIR             where test processes write their logs
 */

/** The part of a tap `t` the helpers use: teardown runs when the test ends. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

function testEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through ./scripts/test, which starts PostgreSQL and Redis for them`);
  return value;
}

/**
 * How tests start service processes: from `dist` under ./scripts/test (which builds first),
 * from sources (tsx) when a test file is run on its own, so an unbuilt edit is still tested.
 */
export function testServiceRuntime(): Runtime {
  return process.env.LUDIC_TEST_RUNTIME === 'dist' ? 'dist' : 'source';
}

export function testRedisUrl(): string {
  return testEnv('LUDIC_TEST_REDIS_URL');
}

/** A fresh directory for one test's files (logs, nginx runtime) under the run's temp dir. */
export function testDir(prefix: string): string {
  const base = process.env.LUDIC_TEST_TMPDIR ?? os.tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `${prefix}-`));
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv('LUDIC_TEST_DATABASE_URL') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * An isolated database with every service's schema: a clone of the migrated template, so a
 * test file never sees another's rows. Dropped on teardown (or by `drop()`), even if
 * connections are still open.
 */
export async function createTestDatabase(t?: Teardown): Promise<TestDatabase> {
  const template = testEnv('LUDIC_TEST_TEMPLATE_DATABASE');
  const name = `ludic_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`));
  const url = new URL(testEnv('LUDIC_TEST_DATABASE_URL'));
  url.pathname = `/${name}`;
  const database: TestDatabase = {
    name,
    url: url.toString(),
    drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)).then(() => undefined),
  };
  t?.teardown(database.drop);
  return database;
}

export interface TestEdge {
  url: string;
  stop(): Promise<void>;
}

/**
 * Renders the real edge config for the given instances and runs nginx on a free port.
 * `staticRoot` defaults to the SPA build (or its placeholder); the API docs are served unless
 * `apiDocs` is false; per-IP limits are off unless `perIpLimits` is given; with `internalPort`
 * the service-to-service load balancer listens there too.
 */
export async function startEdge(
  upstreams: EdgeUpstreams,
  t?: Teardown,
  options: { staticRoot?: string; apiDocs?: boolean; perIpLimits?: PerIpLimits | 'off'; internalPort?: number } = {},
): Promise<TestEdge> {
  const runtimeDir = testDir('nginx');
  const nginx = await startNginx({
    port: await getFreePort(),
    runtimeDir,
    upstreams,
    staticRoot: options.staticRoot ?? resolveStaticRoot(runtimeDir),
    apiDocsRoot: options.apiDocs === false ? undefined : buildApiDocs(path.join(runtimeDir, 'api-docs')),
    workerProcesses: 1,
    // Every test drives its stack from 127.0.0.1, often in bursts: the per-IP limit is off
    // unless a test is about it.
    perIpLimits: options.perIpLimits ?? 'off',
    ...(options.internalPort === undefined ? {} : { internalListen: `127.0.0.1:${options.internalPort}` }),
  });
  t?.teardown(nginx.stop);
  return { url: nginx.url, stop: nginx.stop };
}

export interface TestStack {
  /** The edge (nginx) URL. */
  url: string;
  database: TestDatabase;
  instances: Record<ServiceName, ServiceInstance[]>;
  internalToken: string;
  /** The gateway's signing key (private JWK JSON): tests mint or forge tokens with it. */
  jwtPrivateJwk: string;
  jwtPublicJwks: string;
  /** Emails that get role admin in this stack. */
  adminEmails: string;
  /** The service-to-service load balancer (bets' WALLET_URL). */
  internalUrl: string;
}

/**
 * The whole system for one test: a fresh database, `instancesPerService` instances of every
 * service (from TypeScript sources) and nginx in front. Everything stops on teardown.
 */
export interface TestStackOptions {
  instancesPerService?: number;
  /** Extra variables per service, over the stack's own (e.g. a low rate limit to test it). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** A Redis of the test's own (one it stops and restarts) instead of the shared test Redis. */
  redisUrl?: string;
}

/** Every test registers its users from 127.0.0.1 into one Redis: the per-IP limit must not bite them. */
const testServiceEnv: Partial<Record<ServiceName, Record<string, string>>> = {
  'auth-gateway': { REGISTER_RATE_LIMIT_MAX: '1000000' },
};

export async function startTestStack(t: Teardown, options: TestStackOptions = {}): Promise<TestStack> {
  const count = options.instancesPerService ?? 1;
  // Stopped in reverse order of start (nginx, services, then the database), also when start
  // fails half-way.
  const started: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const stop of started.reverse()) await stop();
  });
  const database = await createTestDatabase();
  started.push(database.drop);
  const logDir = testDir('stack');
  const internalToken = randomBytes(32).toString('base64url');
  const signingKey = generateJwtSigningKey(`test-${randomBytes(4).toString('hex')}`);
  const adminEmails = 'admin@ludic.test';
  const [internalPort, ...freePorts] = await getFreePorts(services.length * count + 1);
  const ports = Object.fromEntries(services.map(({ name }, i) => [name, freePorts.slice(i * count, (i + 1) * count)])) as Record<ServiceName, number[]>;
  const shared = {
    databaseUrl: database.url,
    redisUrl: options.redisUrl ?? testRedisUrl(),
    internalToken,
    ...signingKey,
    adminEmails,
    // Bets reaches the wallet through the edge's internal load balancer, as in the local
    // stack: a wallet instance that dies is failed over, not a failed bet.
    walletUrl: `http://127.0.0.1:${internalPort}`,
    nodeEnv: 'test' as const,
    logLevel: 'warn',
  };
  const startInstance = async (service: ServiceName, port: number, index: number) => {
    const instance = await startServiceInstance({
      service,
      port,
      serverId: `${service}-${index + 1}`,
      shared,
      runtime: testServiceRuntime(),
      extraEnv: { ...testServiceEnv[service], ...options.env?.[service] },
      logFile: path.join(logDir, `${service}-${index + 1}.log`),
      healthTimeoutMs: 60_000,
    });
    started.push(instance.stop);
    return instance;
  };
  const instances = Object.fromEntries(
    await Promise.all(
      services.map(async ({ name }) => [name, await Promise.all(ports[name].map((port, index) => startInstance(name, port, index)))] as const),
    ),
  ) as Record<ServiceName, ServiceInstance[]>;
  const edge = await startEdge(
    {
      auth: instances['auth-gateway'].map((instance) => instance.url),
      wallet: instances.wallet.map((instance) => instance.url),
      bets: instances.bets.map((instance) => instance.url),
    },
    undefined,
    { internalPort },
  );
  started.push(edge.stop);
  return { url: edge.url, database, instances, internalToken, ...signingKey, adminEmails, internalUrl: shared.walletUrl };
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): Record<string, unknown>;
}

/**
 * A raw HTTP request for edge tests: the path is sent exactly as given (no URL
 * normalisation, so `%zz` or `/../` reach nginx as written), on a fresh connection.
 */
export function rawRequest(
  base: string,
  rawPath: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${rawPath}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${rawPath.slice(0, 100)} timed out`)));
    req.end(options.body);
  });
}
