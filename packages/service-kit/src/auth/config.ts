import { Type, type Static } from '@sinclair/typebox';

/**
 * What a service needs to verify access tokens locally. Spread into the service's config
 * schema: `Type.Object({ ...BaseConfig, ...TokenVerifyConfig })`.
 */
export const TokenVerifyConfig = {
  /**
   * The gateway's public signing keys as a JWKS JSON string (`{"keys":[{kty,crv,x,kid},…]}`).
   * Several keys, told apart by `kid`, let a new key go live without downtime.
   */
  JWT_PUBLIC_JWKS: Type.String({ minLength: 2 }),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'ludic-auth' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'ludic' }),
  /** Access-token lifetime; also how long a revoked session is remembered. */
  JWT_ACCESS_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 900 }),
  /** Tolerated clock skew between the gateway and this instance. */
  JWT_CLOCK_TOLERANCE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
};
const TokenVerifyConfigSchema = Type.Object(TokenVerifyConfig);
export type TokenVerifyConfig = Static<typeof TokenVerifyConfigSchema>;

/** The shared secret that `service` routes demand in `x-internal-token`. */
export const InternalTokenConfig = {
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
};
const InternalTokenConfigSchema = Type.Object(InternalTokenConfig);
export type InternalTokenConfig = Static<typeof InternalTokenConfigSchema>;

/**
 * The per-user API limit of a service's `user`/`admin` routes, shared by its instances through
 * Redis. Load tests raise it.
 */
export const UserRateLimitConfig = {
  USER_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 600 }),
  USER_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
};
const UserRateLimitConfigSchema = Type.Object(UserRateLimitConfig);
export type UserRateLimitConfig = Static<typeof UserRateLimitConfigSchema>;

/** `access.userRateLimit` from the config fragment. */
export function userRateLimitFrom(config: UserRateLimitConfig): { max: number; windowMs: number } {
  return { max: config.USER_RATE_LIMIT_MAX, windowMs: config.USER_RATE_LIMIT_WINDOW_MS };
}
