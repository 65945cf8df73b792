import { createHash, timingSafeEqual } from 'node:crypto';
import type { Access, AccessClaims } from '@ludic/contracts';
import type {} from '@fastify/jwt';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { LudicError } from '../errors.js';
import type { TokenVerifyConfig } from './config.js';
import { RevocationList } from './revocation.js';
import { UserRateLimiter } from './user-rate-limit.js';
import { createTokenVerifier, TokenRejected, type TokenVerifier } from './verifier.js';

/** What `createServiceApp` needs to enforce the routes' `access`. */
export interface AccessControlOptions {
  /** Verify access tokens (routes with access `user` or `admin`). */
  tokens?: TokenVerifyConfig;
  /** The shared secret of `service` routes (`x-internal-token`). */
  internalToken?: string;
  /** Requests one user may make to this service's `user`/`admin` routes per window, across instances. */
  userRateLimit?: { max: number; windowMs: number };
}

/** The app's access machinery, decorated as `app.accessControl`. */
export interface AccessControl {
  verifier: TokenVerifier | undefined;
  revocations: RevocationList | undefined;
  /** SHA-256 of INTERNAL_TOKEN: equal-length digests make the comparison constant-time. */
  internalTokenDigest: Buffer | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    accessControl: AccessControl;
  }
  interface FastifyContextConfig {
    /** Set by `contractRoute`; checked when the route is added. */
    access?: Access;
  }
}

// `request.user` is declared by @fastify/jwt (the gateway signs with it); the kit fills it
// with the verified claims, so both agree on its type.
declare module '@fastify/jwt' {
  interface FastifyJWT {
    /** What the gateway signs; the signer adds iss, aud, iat and exp. */
    payload: Omit<AccessClaims, 'iss' | 'aud' | 'exp' | 'iat'> & Partial<Pick<AccessClaims, 'iss' | 'aud' | 'exp' | 'iat'>>;
    user: AccessClaims;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{1,1024})$/i;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** 429 RATE_LIMITED with Retry-After, in the envelope. */
export function rateLimitedError(ttlMs: number): LudicError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new LudicError('RATE_LIMITED', `too many requests; retry in ${seconds} s`, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
}

/**
 * Decorates the app with its access machinery and the per-user budget (held across instances
 * through Redis; see UserRateLimiter), and refuses, at start, routes it could not enforce.
 * `@fastify/rate-limit` stays registered for routes with their own limits (login, register).
 */
export async function installAccessControl(app: FastifyInstance, service: string, options: AccessControlOptions = {}): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: false,
    redis: app.redis,
    nameSpace: 'ludic:rate:',
    skipOnError: true,
    errorResponseBuilder: (_request, context) => rateLimitedError(context.ttl),
  });
  // One budget per user over all of this service's user routes (not one per route).
  let userLimiter: onRequestHookHandler | undefined;
  if (options.userRateLimit) {
    const limiter = new UserRateLimiter(app.redis, { ...options.userRateLimit, keyPrefix: `ludic:rate:${service}:user:` });
    userLimiter = async (request) => {
      const admission = await limiter.admit(request.user.sub);
      if (!admission.allowed) throw rateLimitedError(admission.retryAfterMs);
    };
    app.addHook('onClose', async () => {
      await limiter.flush().catch(() => undefined);
      limiter.stop();
    });
  }
  const revocations = options.tokens ? new RevocationList(app.redis, app.log) : undefined;
  app.decorate('accessControl', {
    verifier: options.tokens ? createTokenVerifier(options.tokens) : undefined,
    revocations,
    internalTokenDigest: options.internalToken ? sha256(options.internalToken) : undefined,
  } satisfies AccessControl);
  if (!app.hasRequestDecorator('user')) app.decorateRequest('user', null as unknown as AccessClaims);
  if (revocations) {
    app.addHook('onReady', () => revocations.start());
    app.addHook('onClose', () => revocations.stop());
  }
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if ((access === 'user' || access === 'admin') && !options.tokens) {
      throw new Error(`${route.method} ${route.url} needs access tokens verified: pass access.tokens to createServiceApp`);
    }
    // After the access hook, so the limit is counted per verified user.
    if ((access === 'user' || access === 'admin') && userLimiter) {
      const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
      route.onRequest = [...hooks, userLimiter];
    }
    if (access === 'service' && !options.internalToken) {
      throw new Error(`${route.method} ${route.url} is a service route: pass access.internalToken to createServiceApp`);
    }
  });
}

/** The verified, unrevoked claims of the request's bearer token; else 401. */
export function authenticate(access: AccessControl, request: FastifyRequest): AccessClaims {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) throw new LudicError('UNAUTHORIZED', 'a valid access token is required');
  let claims: AccessClaims;
  try {
    claims = access.verifier!.verify(match[1]!);
  } catch (error) {
    if (!(error instanceof TokenRejected)) throw error;
    request.log.info({ reason: error.reason }, 'access token rejected');
    throw new LudicError('UNAUTHORIZED', 'a valid access token is required');
  }
  if (access.revocations!.isRevoked(claims.sid)) {
    request.log.info({ sid: claims.sid }, 'access token of a revoked session');
    throw new LudicError('UNAUTHORIZED', 'this session has ended; sign in again');
  }
  return claims;
}

async function requireUser(this: FastifyInstance, request: FastifyRequest): Promise<void> {
  request.user = authenticate(this.accessControl, request);
}

async function requireAdmin(this: FastifyInstance, request: FastifyRequest): Promise<void> {
  request.user = authenticate(this.accessControl, request);
  if (request.user.role !== 'admin') throw new LudicError('FORBIDDEN', 'admin role required');
  // An instance cut off from Redis may have missed a revocation: admin powers fail closed.
  if (!this.accessControl.revocations!.isCurrent) {
    throw new LudicError('SERVICE_UNAVAILABLE', 'admin actions are paused while session revocations cannot be confirmed', undefined, { 'retry-after': '5' });
  }
}

async function requireService(this: FastifyInstance, request: FastifyRequest): Promise<void> {
  const presented = request.headers['x-internal-token'];
  const expected = this.accessControl.internalTokenDigest!;
  if (typeof presented !== 'string' || !timingSafeEqual(sha256(presented), expected)) {
    throw new LudicError('UNAUTHORIZED', 'a valid x-internal-token is required');
  }
}

/** The `onRequest` hook that enforces `access`, or none for public routes. */
export function accessHook(access: Access): ((this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined {
  switch (access) {
    case 'public':
      return undefined;
    case 'user':
      return requireUser;
    case 'admin':
      return requireAdmin;
    case 'service':
      return requireService;
  }
}
