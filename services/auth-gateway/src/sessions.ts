import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LudicError, revokeSession, type RevocationList } from '@ludic/service-kit';
import type { Redis, Result } from 'ioredis';

/** What a session remembers about its user, so a refresh needs no identity-provider call. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  /** Admin by the identity provider's own say (a PocketBase `role` field). */
  providerAdmin: boolean;
}

const sessionKey = (sid: string) => `ludic:auth:session:${sid}`;
const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');
// `<sid>.<256 random bits>`: the sid only locates the session; the random part is the secret.
const REFRESH_TOKEN = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

/**
 * Rotates a refresh token atomically. The session hash holds the user, the hash of the one live
 * refresh token and a `spent:<hash>` field per token already used; presenting a spent one is
 * reuse (a stolen token raced its owner) and ends the session.
 */
const ROTATE = `
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return {'missing'} end
local current = redis.call('HGET', key, 'refresh')
if current == ARGV[1] then
  redis.call('HSET', key, 'refresh', ARGV[2], 'spent:' .. ARGV[1], '1')
  redis.call('PEXPIRE', key, ARGV[3])
  return {'rotated', redis.call('HGET', key, 'user')}
end
if redis.call('HEXISTS', key, 'spent:' .. ARGV[1]) == 1 then return {'reused'} end
return {'missing'}
`;

/** A new session's hash and its lifetime in one command (what MULTI/HSET/PEXPIRE/EXEC did in four). */
const START = `
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'refresh', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

export interface IssuedSession {
  sid: string;
  refreshToken: string;
  user: SessionUser;
}

/**
 * Sessions and their refresh tokens in Redis (stored hashed, with a TTL). Redis unreachable →
 * 503: a session cannot be started, refreshed or ended without it (decisions.md).
 */
export class SessionStore {
  readonly #redis: Redis;
  readonly #refreshTtlMs: number;
  readonly #accessTtlMs: number;
  readonly #revocations: RevocationList | undefined;

  constructor(redis: Redis, options: { refreshTtlSeconds: number; accessTtlSeconds: number; revocations?: RevocationList }) {
    this.#redis = redis;
    this.#revocations = options.revocations;
    this.#refreshTtlMs = options.refreshTtlSeconds * 1000;
    this.#accessTtlMs = options.accessTtlSeconds * 1000;
    if (!this.#redis.rotateRefreshToken) this.#redis.defineCommand('rotateRefreshToken', { numberOfKeys: 1, lua: ROTATE });
    if (!this.#redis.startSession) this.#redis.defineCommand('startSession', { numberOfKeys: 1, lua: START });
  }

  /**
   * Refuses early, before a password is hashed, while the connection to Redis is down. No round
   * trip: a login creates nothing before its session, so a Redis that is connected but hung
   * costs it one hash before start() fails with the same 503.
   */
  assertConnected(): void {
    if (this.#redis.status !== 'ready') throw sessionsUnavailable();
  }

  /** Refuses before a user is created (with PocketBase, outside our transaction) unless Redis answers. */
  async assertAvailable(): Promise<void> {
    this.assertConnected();
    await guard(this.#redis.ping());
  }

  async start(user: SessionUser): Promise<IssuedSession> {
    const sid = randomUUID();
    const refreshToken = newRefreshToken(sid);
    await guard(this.#redis.startSession(sessionKey(sid), JSON.stringify(user), hashToken(refreshToken), this.#refreshTtlMs));
    return { sid, refreshToken, user };
  }

  /** Spends `refreshToken` and returns its successor; reuse of a spent token ends the session. */
  async rotate(refreshToken: string): Promise<IssuedSession> {
    const match = REFRESH_TOKEN.exec(refreshToken);
    if (!match) throw invalidRefreshToken();
    const sid = match[1]!;
    const next = newRefreshToken(sid);
    const [outcome, user] = (await guard(
      this.#redis.rotateRefreshToken(sessionKey(sid), hashToken(refreshToken), hashToken(next), this.#refreshTtlMs),
    )) as [string, string | undefined];
    if (outcome === 'reused') {
      await this.end(sid);
      throw new LudicError('REFRESH_TOKEN_INVALID', 'this refresh token was already used; the session has been ended for safety');
    }
    if (outcome !== 'rotated' || !user) throw invalidRefreshToken();
    return { sid, refreshToken: next, user: JSON.parse(user) as SessionUser };
  }

  /** Ends the session: its refresh token stops working and every service refuses its access tokens. */
  async end(sid: string): Promise<void> {
    await guard(this.#redis.del(sessionKey(sid)));
    // Access tokens issued up to now expire within one access lifetime; remember the sid that long.
    const until = Date.now() + this.#accessTtlMs;
    await guard(revokeSession(this.#redis, sid, until));
    this.#revocations?.remember(sid, until);
  }
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rotateRefreshToken(key: string, presentedHash: string, nextHash: string, ttlMs: number): Result<unknown, Context>;
    startSession(key: string, user: string, refreshHash: string, ttlMs: number): Result<unknown, Context>;
  }
}

function newRefreshToken(sid: string): string {
  return `${sid}.${randomBytes(32).toString('base64url')}`;
}

function invalidRefreshToken(): LudicError {
  return new LudicError('REFRESH_TOKEN_INVALID', 'the refresh token is invalid or expired; sign in again');
}

function sessionsUnavailable(): LudicError {
  return new LudicError('SERVICE_UNAVAILABLE', 'sessions are temporarily unavailable; try again shortly', undefined, { 'retry-after': '5' });
}

async function guard<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof LudicError) throw error;
    throw Object.assign(sessionsUnavailable(), { cause: error });
  }
}
