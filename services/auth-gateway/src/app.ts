import { createDatabase, createServiceApp, type ServiceApp } from '@ludic/service-kit';
import type { FastifyServerOptions } from 'fastify';
import type { AuthConfig } from './config.js';
import type { AuthDatabase } from './db.js';
import { SCHEMA } from './migrations/index.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** The auth gateway as a Fastify app: tests `inject` into it, `server.ts` listens. */
export async function buildApp(config: AuthConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const database = createDatabase<AuthDatabase>({
    url: config.DATABASE_URL,
    schema: SCHEMA,
    poolSize: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    applicationName: 'auth-gateway',
  });
  const app = await createServiceApp({ service: 'auth-gateway', config, database, logger: options.logger });
  return app;
}
