import { createDatabase, createServiceApp, type ServiceApp } from '@ludic/service-kit';
import type { FastifyServerOptions } from 'fastify';
import type { WalletConfig } from './config.js';
import type { WalletDatabase } from './db.js';
import { SCHEMA } from './migrations/index.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** The wallet service as a Fastify app: tests `inject` into it, `server.ts` listens. */
export async function buildApp(config: WalletConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const database = createDatabase<WalletDatabase>({
    url: config.DATABASE_URL,
    schema: SCHEMA,
    poolSize: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    applicationName: 'wallet',
  });
  const app = await createServiceApp({ service: 'wallet', config, database, logger: options.logger });
  return app;
}
