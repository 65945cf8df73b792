import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { Role, Session } from '@ludic/contracts';
import { parsePrivateJwk, ACCESS_TOKEN_ALGORITHM } from '@ludic/service-kit';
import type { FastifyInstance } from 'fastify';
import type { AuthConfig } from './config.js';
import type { IssuedSession, SessionUser } from './sessions.js';

/** Who is admin: ADMIN_EMAILS, or the identity provider's own `role` field. */
export function roleOf(user: SessionUser, adminEmails: ReadonlySet<string>): Role {
  return user.providerAdmin || adminEmails.has(user.email) ? 'admin' : 'player';
}

export function parseAdminEmails(list: string): ReadonlySet<string> {
  return new Set(list.split(',').map((email) => email.trim().toLowerCase()).filter(Boolean));
}

/**
 * Registers @fastify/jwt to sign access tokens: EdDSA with the configured private key, its
 * `kid` in the header, issuer, audience and lifetime from config. Verification stays the
 * kit's (the same code every service runs).
 */
export async function registerTokenSigner(app: FastifyInstance, config: AuthConfig): Promise<void> {
  const key = parsePrivateJwk(config.JWT_PRIVATE_JWK);
  const publicPem = createPublicKey(createPrivateKey(key.pem)).export({ type: 'spki', format: 'pem' }).toString();
  await app.register(fastifyJwt, {
    secret: { private: key.pem, public: publicPem },
    sign: {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      kid: key.kid,
      iss: config.JWT_ISSUER,
      aud: config.JWT_AUDIENCE,
      // Seconds: @fastify/jwt reads a number as seconds.
      expiresIn: config.JWT_ACCESS_TTL_SECONDS,
    },
    // `request.user` is filled by the kit's access hook; this plugin's own decorator stays apart.
    decoratorName: 'jwtPayload',
  });
}

/** The response of register, login and refresh: a fresh access token for the session. */
export function sessionResponse(app: FastifyInstance, session: IssuedSession, adminEmails: ReadonlySet<string>, ttlSeconds: number): Session {
  const user = { id: session.user.id, email: session.user.email, name: session.user.name, role: roleOf(session.user, adminEmails) };
  const token = app.jwt.sign({ sub: user.id, email: user.email, name: user.name, role: user.role, sid: session.sid, jti: randomUUID() });
  return { token, refreshToken: session.refreshToken, expiresIn: ttlSeconds, user };
}
