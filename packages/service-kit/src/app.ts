import { randomUUID } from 'node:crypto';
import fastifyRedis from '@fastify/redis';
import { Readiness, ServiceHealth, errorResponses, type RouteContract, type RouteSchema } from '@ludic/contracts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import { accessHook, installAccessControl, type AccessControlOptions } from './auth/access.js';
import { serverIdOf, type BaseConfig } from './config.js';
import type { Database } from './database.js';
import { isTransientDatabaseError, withTimeout } from './database.js';
import { envelope, LudicError } from './errors.js';
import { createLogger, OneLinePerRequest } from './logger.js';
import { registerServiceMetrics } from './metrics.js';
import { registerOpenApi, SERVICE_DOCUMENT_PATH } from './openapi.js';
import { validatorCompiler } from './validation.js';

export type ServiceName = 'auth-gateway' | 'wallet' | 'bets';

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A dependency `/ready` checks; it throws (or times out) when the dependency is down. */
export type ReadinessCheck = (timeoutMs: number) => Promise<void>;

export interface ServiceAppOptions {
  service: ServiceName;
  config: BaseConfig;
  /** The service's own database; checked by `/ready`, closed with the app. */
  database: Pick<Database<unknown>, 'ping' | 'close'>;
  /** Other services this one cannot work without, by name → base URL; `/ready` checks their `/health`. */
  upstreams?: Record<string, string>;
  /** Override logging (tests silence it). */
  logger?: FastifyServerOptions['logger'];
  /** Keys and secrets that enforce each contract route's `access`; a route it cannot enforce fails at start. */
  access?: AccessControlOptions;
  /**
   * Redis commands (scripts by their defineCommand name) written the moment they are called
   * rather than through the auto-pipeline; see `enableAutoPipelining` below for which belong here.
   */
  directRedisCommands?: readonly string[];
}

// fastify-metrics is CommonJS with an `exports.default`; under NodeNext that is `.default`.
const fastifyMetrics = fastifyMetricsModule.default;

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Fastify's own error codes that are the client's fault, mapped to our codes. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'VALIDATION_ERROR' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'VALIDATION_ERROR' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'VALIDATION_ERROR' },
  FST_ERR_CTP_MALFORMED_JSON_BODY: { status: 400, code: 'VALIDATION_ERROR' },
  FST_ERR_BAD_URL: { status: 400, code: 'VALIDATION_ERROR' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'VALIDATION_ERROR' },
};

/**
 * Builds the Fastify instance every Ludic service starts from: logging with request ids,
 * strict validation, the error envelope, `/health`, `/ready`, `/metrics` and Redis.
 * It never listens; `runService` (server.ts) does.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const { config, service, database } = options;
  const serverId = serverIdOf(service, config);

  const stdoutLog = options.logger === undefined ? createLogger({ level: config.LOG_LEVEL, service, serverId, bufferBytes: config.LOG_BUFFER_BYTES }) : undefined;
  const app = Fastify({
    ...(stdoutLog ? { loggerInstance: stdoutLog.logger } : { logger: options.logger }),
    logController: new OneLinePerRequest(stdoutLog?.logger),
    trustProxy: config.TRUST_PROXY.split(',').map((s) => s.trim()).filter(Boolean),
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    requestIdHeader: false,
    // A client that dribbles its request gets cut off; nginx buffers for the real ones.
    requestTimeout: 15_000,
    // Longer than nginx's upstream keepalive, so nginx always closes first and never reuses a
    // connection Node is closing.
    keepAliveTimeout: 75_000,
    ajv: { plugins: [] },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // JSON only: any other body type is a 415, never parsed.
  app.removeContentTypeParser(['text/plain']);

  // Draining: once close() starts, every response still in flight tells its client (nginx) to
  // drop the connection, so keep-alive sockets cannot hold the shutdown open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback hooks, not async ones: every request runs them, and each async hook costs a promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-served-by', serverId);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((error: FastifyError | LudicError, request, reply) => {
    if (error instanceof LudicError) {
      if (error.headers) reply.headers(error.headers);
      return reply.code(error.statusCode).send(envelope(error.statusCode, error.code, error.message, error.details));
    }
    if (error.validation) {
      const fields = error.validation.map((issue) => ({
        field: `${error.validationContext ?? 'request'}${issue.instancePath || ''}${
          issue.params && 'missingProperty' in issue.params ? `/${String(issue.params.missingProperty)}` : ''
        }${issue.params && 'additionalProperty' in issue.params ? `/${String(issue.params.additionalProperty)}` : ''}`,
        message: issue.message ?? 'is invalid',
      }));
      return reply.code(400).send(envelope(400, 'VALIDATION_ERROR', `invalid ${error.validationContext ?? 'request'}`, { fields }));
    }
    const known = error.code ? FRAMEWORK_ERRORS[error.code] : undefined;
    if (known) return reply.code(known.status).send(envelope(known.status, known.code, error.message));
    if (error.statusCode === 429) {
      return reply.code(429).send(envelope(429, 'RATE_LIMITED', 'too many requests', undefined));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'client error');
      return reply.code(error.statusCode).send(envelope(error.statusCode, 'VALIDATION_ERROR', error.message));
    }
    if (isTransientDatabaseError(error)) {
      // Nothing was committed: the database was unreachable, restarting or saturated, so a
      // retry is safe and the right answer is "later", not "broken".
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', '1');
      return reply.code(503).send(envelope(503, 'SERVICE_UNAVAILABLE', 'the database is unavailable; retry shortly'));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(envelope(500, 'INTERNAL_ERROR', 'internal error; quote the request id when reporting it', { requestId: request.id }));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(envelope(404, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });

  // Before any route, so the service's own description lists every route it registers.
  await registerOpenApi(app);

  await app.register(fastifyRedis, {
    url: config.REDIS_URL,
    // Fail fast while disconnected instead of queueing: callers decide how to degrade.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    // Commands issued in the same tick (rate-limit checks of concurrent requests, publishes)
    // leave in one write: under load that is one syscall for many requests. But ioredis keeps
    // one auto-pipeline in flight per connection: what is called while it awaits its replies
    // waits, in JavaScript, until they are all back. Commands a service issues once per money
    // movement skip it (`directRedisCommands`): their requests are few enough that the write
    // costs less than the wait, and the objects of requests waiting that way outlived young-
    // generation collections.
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: [...(options.directRedisCommands ?? [])],
  });
  // ioredis reports every failed reconnect; one line per outage is enough.
  app.redis.on('error', (err: Error) => app.log.debug({ err }, 'redis connection error'));

  await installAccessControl(app, service, options.access);

  await app.register(fastifyMetrics, {
    endpoint: '/metrics',
    // One app per process in production; tests build several in one process.
    clearRegisterOnInit: true,
    // The event-loop delay histogram samples every 100 ms, not prom-client's 10: its timer woke
    // every process 100 times a second, idle CPU 8 → 2.5 ms/s per instance; a stall still shows
    // in full on the next sample.
    defaultMetrics: { enabled: true, labels: { service }, eventLoopMonitoringPrecision: 100 },
    routeMetrics: { enabled: { histogram: true, summary: false }, registeredRoutesOnly: true, groupStatusCodes: false },
  });
  app.decorate('businessMetrics', registerServiceMetrics(app.metrics.client, service));

  app.addHook('onClose', async () => database.close());
  // Last, so the lines of the shutdown itself are written.
  if (stdoutLog) app.addHook('onClose', async () => stdoutLog.flush());

  const checks: Record<string, ReadinessCheck> = {
    postgres: (ms) => database.ping(ms),
    redis: (ms) => withTimeout(app.redis.ping(), ms, 'redis ping').then(() => undefined),
  };
  for (const [name, base] of Object.entries(options.upstreams ?? {})) {
    checks[name] = (ms) => probeHealth(base, ms);
  }

  app.get('/health', { schema: { response: { 200: ServiceHealth } }, logLevel: 'warn' }, async () => ({
    status: 'ok' as const,
    service,
    serverId,
  }));

  // The routes this instance really serves, for service authors; nginx does not route it.
  app.get(SERVICE_DOCUMENT_PATH, { schema: { hide: true }, logLevel: 'warn' }, async () => app.swagger());

  app.get('/ready', { schema: { response: { 200: Readiness, 503: Readiness } }, logLevel: 'warn' }, async (request, reply) => {
    const names = Object.keys(checks);
    const outcomes = await Promise.allSettled(names.map((name) => checks[name]!(config.READY_CHECK_TIMEOUT_MS)));
    const result: Record<string, 'ok' | 'down'> = {};
    outcomes.forEach((outcome, i) => {
      result[names[i]!] = outcome.status === 'fulfilled' ? 'ok' : 'down';
      if (outcome.status === 'rejected') request.log.warn({ check: names[i], err: outcome.reason }, 'readiness check failed');
    });
    const ready = outcomes.every((o) => o.status === 'fulfilled');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: result });
  });

  return app;
}

async function probeHealth(base: string, timeoutMs: number): Promise<void> {
  const response = await fetch(new URL('/health', base), { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`upstream answered ${response.status}`);
}

/**
 * Route options from a contract: method, url, the full schema (responses included, plus
 * the error envelope for every 4xx/5xx) and the `onRequest` hook enforcing its `access`
 * (`user`/`admin`: a verified, unrevoked bearer token in `request.user`; `service`: the
 * internal token). Spread into `app.route({...contractRoute(c), handler})`.
 */
export function contractRoute<S extends RouteSchema>(contract: RouteContract<S>) {
  const onRequest = accessHook(contract.access);
  return {
    method: contract.method,
    url: contract.url,
    // The contract's `access` is enforced here, so no route can forget it (don't override onRequest).
    config: { access: contract.access },
    ...(onRequest ? { onRequest } : {}),
    schema: {
      ...contract.schema,
      summary: contract.summary,
      tags: [contract.service],
      response: { ...contract.schema.response, ...errorResponses } as S['response'] & typeof errorResponses,
    },
  };
}

/** Headers to pass on to another service so logs follow the request across hops. */
export function forwardHeaders(request: FastifyRequest): Record<string, string> {
  return { 'x-request-id': request.id };
}
