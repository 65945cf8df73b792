import { Type, type Static } from '@sinclair/typebox';
import { BaseConfig, TokenVerifyConfig, UserRateLimitConfig } from '@ludic/service-kit';

export const AuthConfigSchema = Type.Object({
  ...BaseConfig,
  // The gateway verifies its own tokens (me, logout) exactly like every other service.
  ...TokenVerifyConfig,
  ...UserRateLimitConfig,
  /** The access-token signing key: one Ed25519 private JWK with its `kid` (its public half must be in JWT_PUBLIC_JWKS). */
  JWT_PRIVATE_JWK: Type.String({ minLength: 2 }),
  /** Refresh-token lifetime; every refresh starts a new one. */
  JWT_REFRESH_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 90 * 86_400, default: 7 * 86_400 }),
  /** Comma-separated emails that get role admin (compared lower-cased). */
  ADMIN_EMAILS: Type.String({ default: '' }),
  /** Set to use PocketBase as the identity provider; unset, users live in the `auth` schema. */
  POCKETBASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Deadline for one PocketBase call; past it the client gets 503 IDENTITY_UNAVAILABLE. */
  POCKETBASE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 30_000, default: 3_000 }),
  /** Login attempts per client IP and email per window, across instances. */
  LOGIN_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 10 }),
  LOGIN_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 15 * 60_000 }),
  /** Registrations per client IP per window, across instances. */
  REGISTER_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 20 }),
  REGISTER_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60 * 60_000 }),
});
export type AuthConfig = Static<typeof AuthConfigSchema>;
