import { notificationChannel, type Bet, type Notification } from '@ludic/contracts';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Subscriptions } from './pubsub.js';

/**
 * The open `GET /api/bets/stream` connections of this instance. Each listens on its user's
 * Redis channel, where the wallet publishes `wallet.updated` and any bets instance publishes
 * `bet.settled`, so a stream hears about a settlement whichever instance did it.
 */
export class BetStreams {
  readonly #open = new Set<() => void>();
  readonly #subscriptions: Subscriptions;
  readonly #keepAliveMs: number;
  readonly #log: FastifyBaseLogger;

  constructor(options: { subscriptions: Subscriptions; keepAliveMs: number; log: FastifyBaseLogger }) {
    this.#subscriptions = options.subscriptions;
    this.#keepAliveMs = options.keepAliveMs;
    this.#log = options.log;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Takes over the response and streams the user's notifications until either side closes. */
  async open(request: FastifyRequest, reply: FastifyReply, userId: string): Promise<void> {
    const channel = notificationChannel(userId);
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx must pass every event on as it is written.
      'x-accel-buffering': 'no',
    });
    const forward = (message: string) => {
      let notification: Notification;
      try {
        notification = JSON.parse(message) as Notification;
      } catch {
        this.#log.warn({ channel }, 'dropped a malformed notification');
        return;
      }
      raw.write(`event: ${notification.type}\ndata: ${JSON.stringify(notification.data)}\n\n`);
    };
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), this.#keepAliveMs);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      this.#open.delete(close);
      void this.#subscriptions.unsubscribe(channel, forward);
      raw.end();
    };
    this.#open.add(close);
    request.raw.on('close', close);
    raw.on('error', close);
    try {
      await this.#subscriptions.subscribe(channel, forward);
    } catch (err) {
      request.log.warn({ err }, 'could not subscribe a bet stream');
      close();
      return;
    }
    // Written once subscribed: from this line on, nothing published for the user is missed.
    if (!closed) raw.write(': connected\n\n');
  }

  /** Ends every stream (shutdown): clients reconnect to another instance. */
  closeAll(): void {
    for (const close of [...this.#open]) close();
  }
}

/** Tells each bettor's streams that their bet settled. After the commit, best effort. */
export async function publishSettledBets(redis: Redis, bets: Bet[], log: FastifyBaseLogger): Promise<void> {
  if (bets.length === 0) return;
  const pipeline = redis.pipeline();
  for (const bet of bets) {
    const message: Notification = { type: 'bet.settled', data: bet };
    pipeline.publish(notificationChannel(bet.userId), JSON.stringify(message));
  }
  try {
    await pipeline.exec();
  } catch (err) {
    log.warn({ err, bets: bets.length }, 'bet.settled notifications not published');
  }
}
