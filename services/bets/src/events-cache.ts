import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Subscriptions } from './pubsub.js';

/** Published by whichever instance changes an event; every instance then drops its cache. */
export const EVENTS_CHANGED_CHANNEL = 'ludic:bets:events-changed';

/**
 * Event reads (`GET /api/events`, `GET /api/events/:id`) cached in memory per instance.
 * A change anywhere is published on EVENTS_CHANGED_CHANNEL and every instance drops its copy
 * as the message arrives (milliseconds). While the subscription is down an instance cannot
 * hear about changes, so it stops caching and reads the database until it is back.
 * `maxAgeMs` bounds the damage of a message lost some other way.
 */
export class EventsCache {
  readonly #entries = new Map<string, { value: unknown; expiresAt: number }>();
  readonly #maxAgeMs: number;
  readonly #subscriptions: Subscriptions;
  readonly #redis: Redis;
  readonly #log: FastifyBaseLogger;
  // Bumped on every invalidation: a read that started before one must not store its result.
  #generation = 0;

  constructor(options: { subscriptions: Subscriptions; redis: Redis; log: FastifyBaseLogger; maxAgeMs: number }) {
    this.#subscriptions = options.subscriptions;
    this.#redis = options.redis;
    this.#log = options.log;
    this.#maxAgeMs = options.maxAgeMs;
  }

  async start(): Promise<void> {
    this.#subscriptions.onReconnect(() => this.clear());
    await this.#subscriptions.subscribe(EVENTS_CHANGED_CHANNEL, () => this.clear());
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.#subscriptions.connected) return load();
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value as T;
    const generation = this.#generation;
    const value = await load();
    if (generation === this.#generation && this.#subscriptions.connected) {
      this.#entries.set(key, { value, expiresAt: now + this.#maxAgeMs });
    }
    return value;
  }

  /** Tells every instance (this one included) that events changed. Called after the commit. */
  async announceChange(): Promise<void> {
    this.clear();
    try {
      await this.#redis.publish(EVENTS_CHANGED_CHANNEL, String(Date.now()));
    } catch (err) {
      this.#log.warn({ err }, 'could not announce an event change; other instances see it when their cache expires');
    }
  }
}
