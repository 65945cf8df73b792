import { createDatabase, createServiceApp, type ServiceApp } from '@ludic/service-kit';
import type { FastifyServerOptions } from 'fastify';
import type { BetsConfig } from './config.js';
import type { BetsDatabase } from './db.js';
import { SCHEMA } from './migrations/index.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** The bets service as a Fastify app: tests `inject` into it, `server.ts` listens. */
export async function buildApp(config: BetsConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const database = createDatabase<BetsDatabase>({
    url: config.DATABASE_URL,
    schema: SCHEMA,
    poolSize: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    applicationName: 'bets',
  });
  const app = await createServiceApp({
    service: 'bets',
    config,
    database,
    upstreams: { wallet: config.WALLET_URL },
    logger: options.logger,
  });
  return app;
}
