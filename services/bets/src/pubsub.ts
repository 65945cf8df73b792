import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

type Handler = (message: string) => void;

/**
 * One Redis subscriber connection per instance, shared by everything that listens (the
 * events cache, the bet streams). Channels are subscribed while someone listens and
 * unsubscribed when the last listener leaves; ioredis re-subscribes after a reconnect.
 * `onReconnect` listeners learn that messages may have been missed while disconnected.
 */
export class Subscriptions {
  readonly #subscriber: Redis;
  readonly #log: FastifyBaseLogger;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #reconnectListeners = new Set<() => void>();
  #connected = false;

  constructor(redis: Redis, log: FastifyBaseLogger) {
    this.#log = log;
    // Unlike the command connection, subscribe calls made while disconnected wait for the
    // connection instead of failing: a stream opened during a blip still gets its channel.
    this.#subscriber = redis.duplicate({ lazyConnect: true, enableOfflineQueue: true, autoResubscribe: true, maxRetriesPerRequest: null, enableAutoPipelining: false });
    this.#subscriber.on('error', (err: Error) => log.debug({ err }, 'redis subscriber error'));
    this.#subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.#handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (err) {
          this.#log.error({ err, channel }, 'subscription handler failed');
        }
      }
    });
    this.#subscriber.on('ready', () => {
      const wasConnected = this.#connected;
      this.#connected = true;
      if (!wasConnected) for (const listener of this.#reconnectListeners) listener();
    });
    this.#subscriber.on('close', () => {
      if (this.#connected) this.#log.warn('redis subscriber disconnected; notifications and cache invalidations wait for it');
      this.#connected = false;
    });
  }

  /** Connects (waiting up to `timeoutMs`; it keeps retrying in the background after that). */
  async start(timeoutMs = 2_000): Promise<void> {
    const connecting = this.#subscriber.connect().catch((err: Error) => this.#log.warn({ err }, 'redis subscriber not connected yet; retrying'));
    await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  get connected(): boolean {
    return this.#connected;
  }

  onReconnect(listener: () => void): void {
    this.#reconnectListeners.add(listener);
  }

  async subscribe(channel: string, handler: Handler): Promise<void> {
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    handlers.add(handler);
    if (handlers.size === 1) await this.#subscriber.subscribe(channel);
  }

  async unsubscribe(channel: string, handler: Handler): Promise<void> {
    const handlers = this.#handlers.get(channel);
    if (!handlers?.delete(handler) || handlers.size > 0) return;
    this.#handlers.delete(channel);
    if (this.#connected) await this.#subscriber.unsubscribe(channel).catch(() => undefined);
  }

  stop(): void {
    this.#handlers.clear();
    this.#subscriber.disconnect();
  }
}
