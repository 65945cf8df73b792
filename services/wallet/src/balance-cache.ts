import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LudicError, withTimeout } from '@ludic/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Movement } from './ledger.js';
import { balanceNotification } from './notifications.js';

/**
 * The owner's `GET /api/wallet` answer, cached in Redis so a balance read costs no database
 * round trip, and never older than a movement that has been answered.
 *
 * A wallet's version is the `entry_no` of its latest ledger entry (entries are numbered under
 * the wallet row's lock, so it only grows with the balance). Per user, Redis holds
 * `ludic:wallet:<database>:cache:<user>` = { v: highest version known, body: the answer at v
 * (if any) } and `ludic:wallet:<database>:writing:<user>`, the movements in flight (token →
 * expiry).
 *
 *   - A read is a plain HGET of the body.
 *   - A movement MARKS: its token joins `writing` and the cached body is dropped. While any mark
 *     lives, reads go to PostgreSQL and nothing is cached. The mark is sent alongside the
 *     movement's SQL and must be in Redis before the movement is answered.
 *   - After its commit it FINISHES: its mark leaves, `v` is raised to its version and the body
 *     dropped (and its wallet.updated notification published, in the same call).
 *   - A read that misses gets a ticket (Redis's TIME); it reads PostgreSQL and FILLS with the
 *     version it read. A fill is refused if any mark lives, if its version is below `v`, or if
 *     the ticket is older than FILL_WINDOW_MS: a read taken before a commit can never land after
 *     the commit's finish, nor after a crashed movement's mark has expired.
 *
 * When Redis cannot be reached the movement still happens (money never waits on a cache). If it
 * could neither mark nor finish, a cached body may predate it: the movement then answers only
 * once every such body has expired (TTL + FILL_WINDOW_MS after its commit), so no client can
 * read the old balance after seeing the new one.
 */
export interface BalanceCacheOptions {
  /** How long a cached body lives; also the extra wait of a movement Redis could not see. */
  ttlMs: number;
  /** Names the ledger the balances come from (its database), so deployments sharing a Redis never mix. */
  namespace: string;
}

export type CachedRead = { hit: string } | { ticket: number } | { unavailable: true };

export interface WriteMark {
  token: string;
  marked: boolean;
  at: number;
}

/** A fill must land this soon after its ticket. */
export const FILL_WINDOW_MS = 250;
/** A movement's mark outlives any transaction (statement timeouts are seconds). */
const MARK_MS = 30_000;
/** Redis calls on a money path wait this long at most. */
const REDIS_TIMEOUT_MS = 200;

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// ARGV: ticket, version, body, ttlMs, fillWindowMs.
const FILL = `${NOW}
if now - tonumber(ARGV[1]) > tonumber(ARGV[5]) then return 0 end
if redis.call('ZCOUNT', KEYS[2], now, '+inf') > 0 then return 0 end
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '-1')
local version = tonumber(ARGV[2])
if version < v or (version == v and redis.call('HEXISTS', KEYS[1], 'body') == 1) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

// ARGV: token, markMs.
const MARK = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[1], 'body')
return 1`;

// ARGV: token (or ''), version (or ''), ttlMs, channel (or ''), message.
const FINISH = `
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[2], ARGV[1]) end
if ARGV[2] ~= '' then
  local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '-1')
  if v < tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], 'v', ARGV[2])
    redis.call('HDEL', KEYS[1], 'body')
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1`;

/**
 * The scripts of a movement, called once each per deposit, stake or payout: the wallet's Redis
 * client sends them outside its auto-pipeline (`directRedisCommands`), so a movement's mark
 * never waits for the replies of a batch of other requests' commands. At 200 paced bets/s
 * (scripts/bench's paced scenario, two stacks side by side, eight 6 s slices each) that cut
 * what survived each of the wallet's scavenges from 745 to 101 KB and its mean scavenge pause
 * from 4.4 to 1.8 ms, with the same saturated bet throughput. Reads keep the auto-pipeline:
 * at saturation many of their HGETs share one write.
 */
export const MOVEMENT_SCRIPTS: readonly (keyof BalanceScripts)[] = ['walletCacheMark', 'walletCacheFinish'];

interface BalanceScripts {
  walletCacheFill(cache: string, writing: string, ticket: number, version: string, body: string, ttlMs: number, fillWindowMs: number): Promise<number>;
  walletCacheMark(cache: string, writing: string, token: string, markMs: number): Promise<number>;
  walletCacheFinish(cache: string, writing: string, token: string, version: string, ttlMs: number, channel: string, message: string): Promise<number>;
}

export class BalanceCache {
  readonly #redis: Redis & BalanceScripts;
  readonly #log: FastifyBaseLogger;
  readonly #ttlMs: number;
  readonly #prefix: string;

  constructor(redis: Redis, log: FastifyBaseLogger, options: BalanceCacheOptions) {
    for (const [name, lua] of Object.entries({ walletCacheFill: FILL, walletCacheMark: MARK, walletCacheFinish: FINISH })) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 2, lua });
    }
    this.#redis = redis as Redis & BalanceScripts;
    this.#log = log;
    this.#ttlMs = options.ttlMs;
    this.#prefix = `ludic:wallet:${options.namespace}:`;
  }

  #keys(userId: string): [cache: string, writing: string] {
    return [`${this.#prefix}cache:${userId}`, `${this.#prefix}writing:${userId}`];
  }

  /**
   * The cached answer, or a ticket to fill it with after reading PostgreSQL (or, Redis away,
   * neither). A plain HGET suffices: a mark deletes the body and no fill lands while one lives,
   * so a body that is there was cached after every movement marked so far.
   */
  async read(userId: string): Promise<CachedRead> {
    const [cache] = this.#keys(userId);
    try {
      const body = await withTimeout(this.#redis.hget(cache, 'body'), REDIS_TIMEOUT_MS, 'balance cache read');
      if (body !== null) return { hit: body };
      // Redis's clock, taken before the caller reads PostgreSQL.
      const [seconds, micros] = await withTimeout(this.#redis.time(), REDIS_TIMEOUT_MS, 'balance cache ticket');
      return { ticket: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) };
    } catch (err) {
      this.#log.debug({ err }, 'balance cache unavailable; reading the database');
      return { unavailable: true };
    }
  }

  /** Offers what was read from PostgreSQL under `ticket`; refused (silently) when it might be stale. */
  fill(userId: string, ticket: number, version: bigint, body: string): void {
    this.#redis
      .walletCacheFill(...this.#keys(userId), ticket, String(version), body, this.#ttlMs, FILL_WINDOW_MS)
      .catch((err: unknown) => this.#log.debug({ err }, 'balance cache fill failed'));
  }

  /** Before a movement of `userId`: no cached body survives it, nothing is cached while it runs. */
  async mark(userId: string): Promise<WriteMark> {
    const mark = { token: randomUUID(), marked: false, at: Date.now() };
    try {
      await withTimeout(this.#redis.walletCacheMark(...this.#keys(userId), mark.token, MARK_MS), REDIS_TIMEOUT_MS, 'balance cache mark');
      mark.marked = true;
    } catch (err) {
      this.#log.warn({ err, userId }, 'balance cache not marked before a movement');
    }
    return mark;
  }

  /**
   * Runs a movement of `userId`'s money between a mark and a finish, and resolves when the
   * movement may be answered. A refusal (LudicError) changed nothing and ends the mark; any
   * other failure may have committed, so the mark is left to expire.
   */
  async move<T>(userId: string, run: () => Promise<T>, movementOf: (result: T) => Movement | undefined): Promise<T> {
    // The mark travels while the movement runs: it only has to be in Redis before the movement
    // is answered (a read racing an unanswered movement may see either balance), and a fill
    // that read the old balance before it landed is refused once it has.
    const marking = this.mark(userId);
    let result: T;
    try {
      result = await run();
    } catch (error) {
      const mark = await marking;
      if (error instanceof LudicError) await this.finish(userId, mark, undefined);
      else await this.uncertain(mark);
      throw error;
    }
    const mark = await marking;
    const movement = movementOf(result);
    const finishing = movement?.moved
      ? this.finish(userId, mark, movement.entry.entry_no, balanceNotification(userId, movement.balance))
      : this.finish(userId, mark, undefined);
    // While its mark lives every read goes to PostgreSQL, so the answer need not wait for the
    // finish; without a mark it must (finish, or wait out the cache).
    if (!mark.marked) await finishing;
    return result;
  }

  /** After a failure that may have committed a movement: without a live mark, wait out any cached body. */
  async uncertain(mark: WriteMark | undefined): Promise<void> {
    if (mark?.marked) return;
    await sleep(this.#ttlMs + FILL_WINDOW_MS);
  }

  /**
   * After a movement's commit (or its refusal: `version` undefined): ends its mark, records its
   * version and publishes its notification. Resolves once the movement may be answered.
   */
  async finish(userId: string, mark: WriteMark | undefined, version: bigint | undefined, notification?: { channel: string; message: string }): Promise<void> {
    try {
      await withTimeout(
        this.#redis.walletCacheFinish(
          ...this.#keys(userId),
          mark?.token ?? '',
          version === undefined ? '' : String(version),
          this.#ttlMs,
          notification?.channel ?? '',
          notification?.message ?? '',
        ),
        REDIS_TIMEOUT_MS,
        'balance cache finish',
      );
      return;
    } catch (err) {
      this.#log.warn({ err, userId }, 'balance cache not told of a movement');
    }
    if (version === undefined) return;
    // A live mark (not yet expired) keeps every read on PostgreSQL until it expires; without one,
    // wait until any body cached before the commit has expired.
    if (mark?.marked && Date.now() - mark.at < MARK_MS - 1_000) return;
    await sleep(this.#ttlMs + FILL_WINDOW_MS);
  }
}
