import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/** Sorted set of revoked session ids, scored by when remembering them stops mattering (ms). */
export const REVOKED_SESSIONS_KEY = 'ludic:auth:revoked-sessions';
/** Every revocation is also published here, so every instance learns it at once. */
export const REVOCATION_CHANNEL = 'ludic:auth:revocations';

interface RevocationMessage {
  sid: string;
  /** Unix ms after which every access token of the session has expired anyway. */
  until: number;
}

/**
 * Revokes a session everywhere: stored (so instances that start or reconnect later load it)
 * and published (so running instances learn it within milliseconds). `until` is when the
 * session's last access token expires; after that the entry is useless and gets pruned.
 */
export async function revokeSession(redis: Redis, sid: string, until: number): Promise<void> {
  const message: RevocationMessage = { sid, until };
  const results = await redis
    .multi()
    .zadd(REVOKED_SESSIONS_KEY, until, sid)
    .zremrangebyscore(REVOKED_SESSIONS_KEY, '-inf', Date.now())
    .publish(REVOCATION_CHANNEL, JSON.stringify(message))
    .exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('revocation transaction aborted');
}

/**
 * This instance's copy of the revoked sessions, so checking a token costs no Redis round trip.
 * Fed by the revocation channel and reloaded from Redis at start and after every reconnect
 * (subscribe first, then load, so nothing published in between is missed).
 */
export class RevocationList {
  readonly #revoked = new Map<string, number>();
  readonly #redis: Redis;
  readonly #log: FastifyBaseLogger;
  #subscriber: Redis | undefined;
  #synced = false;
  #syncGeneration = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #onFirstSync: (() => void) | undefined;

  constructor(redis: Redis, log: FastifyBaseLogger) {
    this.#redis = redis;
    this.#log = log;
  }

  /** Connects the subscriber and waits (up to `timeoutMs`) for the first load; keeps trying afterwards. */
  async start(timeoutMs = 2_000): Promise<void> {
    const subscriber = this.#redis.duplicate({ lazyConnect: true, autoResubscribe: false, enableOfflineQueue: true, enableAutoPipelining: false });
    this.#subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.#log.debug({ err }, 'revocation subscriber error'));
    subscriber.on('message', (_channel: string, raw: string) => this.#receive(raw));
    subscriber.on('ready', () => void this.#sync());
    subscriber.on('close', () => {
      if (this.#synced) this.#log.warn('revocation feed lost; honouring the revocations known so far until Redis is back');
      this.#synced = false;
      this.#syncGeneration++;
    });
    this.#pruneTimer = setInterval(() => this.#prune(), 60_000).unref();
    const firstSync = new Promise<void>((resolve) => {
      this.#onFirstSync = resolve;
    });
    subscriber.connect().catch((err: Error) => this.#log.warn({ err }, 'revocation subscriber could not connect yet; retrying'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([firstSync, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (!this.#synced) this.#log.warn('revocation list not loaded at start (Redis unreachable); admin routes refuse until it is');
  }

  async stop(): Promise<void> {
    clearInterval(this.#pruneTimer);
    clearTimeout(this.#retryTimer);
    this.#syncGeneration++;
    this.#subscriber?.disconnect();
  }

  /** True while the list is known to be complete: subscribed and loaded since the last (re)connect. */
  get isCurrent(): boolean {
    return this.#synced;
  }

  isRevoked(sid: string): boolean {
    const until = this.#revoked.get(sid);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#revoked.delete(sid);
    return false;
  }

  /** Records a revocation this instance made itself, so it applies here before the publish loops back. */
  remember(sid: string, until: number): void {
    if (until > Date.now()) this.#revoked.set(sid, Math.max(until, this.#revoked.get(sid) ?? 0));
  }

  #receive(raw: string): void {
    try {
      const { sid, until } = JSON.parse(raw) as RevocationMessage;
      if (typeof sid === 'string' && typeof until === 'number') return this.remember(sid, until);
    } catch {
      // fall through to the warning
    }
    this.#log.warn({ raw: raw.slice(0, 200) }, 'ignored a malformed revocation message');
  }

  async #sync(): Promise<void> {
    const generation = ++this.#syncGeneration;
    clearTimeout(this.#retryTimer);
    try {
      await this.#subscriber!.subscribe(REVOCATION_CHANNEL);
      const entries = await this.#redis.zrangebyscore(REVOKED_SESSIONS_KEY, Date.now(), '+inf', 'WITHSCORES');
      if (generation !== this.#syncGeneration) return;
      for (let i = 0; i + 1 < entries.length; i += 2) this.remember(entries[i]!, Number(entries[i + 1]));
      this.#synced = true;
      this.#log.info({ revokedSessions: this.#revoked.size }, 'revocation list loaded');
      this.#onFirstSync?.();
    } catch (err) {
      if (generation !== this.#syncGeneration) return;
      this.#log.warn({ err }, 'could not load the revocation list; retrying');
      this.#retryTimer = setTimeout(() => void this.#sync(), 500).unref();
    }
  }

  #prune(): void {
    const now = Date.now();
    for (const [sid, until] of this.#revoked) if (until <= now) this.#revoked.delete(sid);
  }
}
