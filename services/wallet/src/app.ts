import { parseMoney } from '@ludic/contracts';
import { createDatabase, createServiceApp, databaseOptionsFrom, userRateLimitFrom, idempotencyStore, purgeExpiredIdempotencyRecords, type ServiceApp } from '@ludic/service-kit';
import type { FastifyServerOptions } from 'fastify';
import { BalanceCache, MOVEMENT_SCRIPTS } from './balance-cache.js';
import type { WalletConfig } from './config.js';
import type { WalletDatabase } from './db.js';
import { SCHEMA } from './migrations/index.js';
import type { WalletContext } from './routes/context.js';
import { registerInternalRoutes } from './routes/internal.js';
import { registerPublicRoutes } from './routes/public.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** How often expired idempotency records are swept (each instance; a sweep is a bounded delete). */
const IDEMPOTENCY_PURGE_INTERVAL_MS = 10 * 60_000;

/** Money settings arrive as API-format strings; the config schema has checked their format. */
function minorUnits(name: string, text: string): bigint {
  const minor = parseMoney(text);
  if (minor === null) throw new Error(`${name} is not an amount: ${text}`);
  return minor;
}

/** The wallet service as a Fastify app: tests `inject` into it, `server.ts` listens. */
export async function buildApp(config: WalletConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const database = createDatabase<WalletDatabase>(databaseOptionsFrom(config, SCHEMA, 'wallet'));
  const app = await createServiceApp({
    service: 'wallet',
    config,
    database,
    logger: options.logger,
    access: { tokens: config, internalToken: config.INTERNAL_TOKEN, userRateLimit: userRateLimitFrom(config) },
    directRedisCommands: MOVEMENT_SCRIPTS,
  });

  const ctx: WalletContext = {
    db: database.db,
    cache: new BalanceCache(app.redis, app.log, { ttlMs: config.BALANCE_CACHE_TTL_MS, namespace: new URL(config.DATABASE_URL).pathname.slice(1) || 'default' }),
    settings: { currency: config.CURRENCY, openingBalance: minorUnits('OPENING_BALANCE', config.OPENING_BALANCE) },
    deposits: {
      enabled: config.DEPOSITS_ENABLED,
      limits: { perDeposit: minorUnits('DEPOSIT_MAX', config.DEPOSIT_MAX), perDay: minorUnits('DEPOSIT_DAILY_MAX', config.DEPOSIT_DAILY_MAX) },
    },
  };
  const idempotency = idempotencyStore({ schema: SCHEMA });
  registerPublicRoutes(app, ctx, idempotency);
  registerInternalRoutes(app, ctx);

  const purge = setInterval(() => {
    purgeExpiredIdempotencyRecords(database.db, idempotency).catch((err: unknown) => app.log.warn({ err }, 'idempotency purge failed'));
  }, IDEMPOTENCY_PURGE_INTERVAL_MS);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));
  return app;
}
