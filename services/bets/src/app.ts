import { createDatabase, createServiceApp, databaseOptionsFrom, userRateLimitFrom, idempotencyStore, purgeExpiredIdempotencyRecords, type ServiceApp } from '@ludic/service-kit';
import type { FastifyServerOptions } from 'fastify';
import { checkBetsConfig, type BetsConfig } from './config.js';
import type { BetsDatabase } from './db.js';
import { stakeLimitsFrom } from './domain/limits.js';
import { EventsCache } from './events-cache.js';
import { SCHEMA } from './migrations/index.js';
import { Subscriptions } from './pubsub.js';
import { adminRoutes } from './routes/admin.js';
import { betRoutes } from './routes/bets.js';
import { eventRoutes } from './routes/events.js';
import { leaderboardRoutes } from './routes/leaderboard.js';
import type { BetsRuntime } from './runtime.js';
import { countUndelivered } from './repositories/outbox.js';
import { BetStreams } from './streams.js';
import { createWalletClient } from './wallet.js';
import { startKickedOffEvents } from './workers/kickoff.js';
import { deliverDueCredits } from './workers/outbox.js';
import { startPeriodic, type PeriodicWorker } from './workers/periodic.js';
import { reconcileStakeDebits } from './workers/reconciler.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    bets: BetsRuntime;
  }
}

const OUTBOX_BATCH = 50;
/** Expired Idempotency-Key records are swept now and then (a bounded delete per pass). */
const IDEMPOTENCY_PURGE_INTERVAL_MS = 10 * 60_000;
/** The reconciler judges debits in pages of 200 with 20 ms between pages (see reconciler.ts). */
const RECONCILER_PAGE = 200;
const RECONCILER_PAGE_PAUSE_MS = 20;

/** The bets service as a Fastify app: tests `inject` into it, `server.ts` listens. */
export async function buildApp(config: BetsConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  checkBetsConfig(config);
  const limits = stakeLimitsFrom(config);
  const database = createDatabase<BetsDatabase>(databaseOptionsFrom(config, SCHEMA, 'bets'));
  const app = await createServiceApp({
    service: 'bets',
    config,
    database,
    upstreams: { wallet: config.WALLET_URL },
    logger: options.logger,
    access: { tokens: config, userRateLimit: userRateLimitFrom(config) },
  });
  const { db, pool } = database;
  const wallet = createWalletClient(config);
  const subscriptions = new Subscriptions(app.redis, app.log);
  const cache = new EventsCache({ subscriptions, redis: app.redis, log: app.log, maxAgeMs: 10_000 });
  const streams = new BetStreams({ subscriptions, keepAliveMs: config.STREAM_KEEPALIVE_MS, log: app.log });

  // Workers start once the app is ready; until then there is nothing to run.
  const idle: PeriodicWorker = { runOnce: async () => undefined, stop: async () => undefined };
  const runtime: BetsRuntime = {
    config,
    db,
    pool,
    wallet,
    limits,
    idempotency: idempotencyStore({ schema: SCHEMA }),
    cache,
    streams,
    workers: { reconciler: idle, outbox: idle, kickoff: idle, idempotencyPurge: idle },
  };
  app.decorate('bets', runtime);
  app.businessMetrics.trackOutboxBacklog(() => countUndelivered(db));

  const reconcilePass = () =>
    reconcileStakeDebits({
      db,
      wallet,
      log: app.log,
      reconcileAfterMs: config.RECONCILE_AFTER_MS,
      pageSize: RECONCILER_PAGE,
      pagePauseMs: RECONCILER_PAGE_PAUSE_MS,
      // Renewed before each wallet call: three times one call plus one statement.
      leaseMs: 3 * (config.WALLET_TIMEOUT_MS + config.DATABASE_STATEMENT_TIMEOUT_MS),
    }).then((report) =>
      app.businessMetrics.stakeDebitsVoided(report.voided.length),
    );
  const outboxPass = () =>
    deliverDueCredits({
      db,
      wallet,
      log: app.log,
      batchSize: OUTBOX_BATCH,
      leaseMs: config.OUTBOX_LEASE_MS,
      maxBackoffMs: config.OUTBOX_MAX_BACKOFF_MS,
      fault: config.LUDIC_FAULT,
    }).then(() => undefined);
  const kickoffPass = () => startKickedOffEvents(db, cache).then(() => undefined);
  const purgePass = () => purgeExpiredIdempotencyRecords(db, runtime.idempotency).then(() => undefined);

  app.addHook('onReady', async () => {
    await subscriptions.start();
    await cache.start();
    runtime.workers = {
      reconciler: startPeriodic('reconciler', config.RECONCILE_INTERVAL_MS, reconcilePass, app.log),
      outbox: startPeriodic('outbox', config.OUTBOX_INTERVAL_MS, outboxPass, app.log),
      kickoff: startPeriodic('kickoff', config.KICKOFF_INTERVAL_MS, kickoffPass, app.log),
      idempotencyPurge: startPeriodic('idempotency-purge', IDEMPOTENCY_PURGE_INTERVAL_MS, purgePass, app.log),
    };
  });
  // Before the server stops accepting: workers finish their pass, streams end (clients
  // reconnect elsewhere) so open SSE connections cannot hold the shutdown.
  app.addHook('preClose', async () => {
    streams.closeAll();
    await Promise.all(Object.values(runtime.workers).map((worker) => worker.stop()));
  });
  app.addHook('onClose', async () => {
    subscriptions.stop();
    await wallet.close();
  });

  eventRoutes(app, runtime);
  betRoutes(app, runtime);
  leaderboardRoutes(app, runtime);
  adminRoutes(app, runtime);
  return app;
}
