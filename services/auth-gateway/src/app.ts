import { createDatabase, createServiceApp, databaseOptionsFrom, userRateLimitFrom, type ServiceApp } from '@ludic/service-kit';
import type { FastifyServerOptions } from 'fastify';
import type { AuthConfig } from './config.js';
import type { AuthDatabase } from './db.js';
import { BuiltinIdentityProvider } from './identity/builtin.js';
import { PocketBaseIdentityProvider } from './identity/pocketbase.js';
import type { IdentityProvider } from './identity/provider.js';
import { SCHEMA } from './migrations/index.js';
import { registerAuthRoutes } from './routes/auth.js';
import { SessionStore } from './sessions.js';
import { parseAdminEmails, registerTokenSigner } from './tokens.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** The auth gateway as a Fastify app: tests `inject` into it, `server.ts` listens. */
export async function buildApp(config: AuthConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const database = createDatabase<AuthDatabase>(databaseOptionsFrom(config, SCHEMA, 'auth-gateway'));
  const app = await createServiceApp({
    service: 'auth-gateway',
    config,
    database,
    logger: options.logger,
    access: { tokens: config, userRateLimit: userRateLimitFrom(config) },
  });
  await registerTokenSigner(app, config);

  // PocketBase when configured (production per the original design), else the built-in store.
  const identity: IdentityProvider = config.POCKETBASE_URL
    ? new PocketBaseIdentityProvider({ url: config.POCKETBASE_URL, timeoutMs: config.POCKETBASE_TIMEOUT_MS, log: app.log })
    : new BuiltinIdentityProvider(database.db);
  app.log.info({ provider: identity.name }, 'identity provider');

  registerAuthRoutes(app, {
    config,
    identity,
    sessions: new SessionStore(app.redis, {
      refreshTtlSeconds: config.JWT_REFRESH_TTL_SECONDS,
      accessTtlSeconds: config.JWT_ACCESS_TTL_SECONDS,
      revocations: app.accessControl.revocations,
    }),
    adminEmails: parseAdminEmails(config.ADMIN_EMAILS),
  });
  return app;
}
