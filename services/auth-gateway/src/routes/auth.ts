import type {} from '@fastify/rate-limit';
import { publicRoutes } from '@ludic/contracts';
import { contractRoute, type ServiceApp } from '@ludic/service-kit';
import type { AuthConfig } from '../config.js';
import { normalizeEmail, type IdentityProvider } from '../identity/provider.js';
import type { SessionStore } from '../sessions.js';
import { sessionResponse } from '../tokens.js';

export interface AuthRoutesContext {
  config: AuthConfig;
  identity: IdentityProvider;
  sessions: SessionStore;
  adminEmails: ReadonlySet<string>;
}

/** register, login, refresh, me, logout (api.md "Auth"). */
export function registerAuthRoutes(app: ServiceApp, ctx: AuthRoutesContext): void {
  const { config, identity, sessions, adminEmails } = ctx;
  const respond = (session: Parameters<typeof sessionResponse>[1]) => sessionResponse(app, session, adminEmails, config.JWT_ACCESS_TTL_SECONDS);

  app.route({
    ...contractRoute(publicRoutes.register),
    config: {
      ...contractRoute(publicRoutes.register).config,
      rateLimit: { max: config.REGISTER_RATE_LIMIT_MAX, timeWindow: config.REGISTER_RATE_LIMIT_WINDOW_MS, keyGenerator: (request) => `ip:${request.ip}` },
    },
    handler: async (request, reply) => {
      await sessions.assertAvailable();
      // The built-in provider commits the user only once the session is stored.
      const session = await identity.register(
        { email: normalizeEmail(request.body.email), password: request.body.password, name: request.body.name.trim() },
        (user) => sessions.start({ id: user.id, email: user.email, name: user.name, providerAdmin: user.providerRole === 'admin' }),
      );
      return reply.code(201).send(respond(session));
    },
  });

  app.route({
    ...contractRoute(publicRoutes.login),
    config: {
      ...contractRoute(publicRoutes.login).config,
      // Counted after validation (the email is in the body): per client IP and account, so
      // guessing one account's password is slow and one client cannot lock out others.
      rateLimit: {
        hook: 'preHandler',
        max: config.LOGIN_RATE_LIMIT_MAX,
        timeWindow: config.LOGIN_RATE_LIMIT_WINDOW_MS,
        keyGenerator: (request) => `ip:${request.ip}:email:${normalizeEmail((request.body as { email: string }).email)}`,
      },
    },
    onResponse: async (_request, reply) => app.businessMetrics.loginAnswered(reply.statusCode),
    handler: async (request) => {
      sessions.assertConnected();
      const user = await identity.authenticate({ email: normalizeEmail(request.body.email), password: request.body.password });
      const session = await sessions.start({ id: user.id, email: user.email, name: user.name, providerAdmin: user.providerRole === 'admin' });
      return respond(session);
    },
  });

  app.route({
    ...contractRoute(publicRoutes.refresh),
    handler: async (request) => respond(await sessions.rotate(request.body.refreshToken)),
  });

  app.route({
    ...contractRoute(publicRoutes.me),
    handler: async (request) => ({ id: request.user.sub, email: request.user.email, name: request.user.name, role: request.user.role }),
  });

  app.route({
    ...contractRoute(publicRoutes.logout),
    handler: async (request) => {
      await sessions.end(request.user.sid);
      return { success: true as const };
    },
  });
}
