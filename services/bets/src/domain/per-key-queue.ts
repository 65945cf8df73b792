import { LudicError } from '@ludic/service-kit';

/**
 * Runs at most `concurrency` tasks at a time per key (here: per player, per instance), the rest
 * in arrival order. A player's debits meet on one wallet row, whose lock is held only for the
 * wallet's one-statement debit: a few of a player's bets overlapping keep that row busy, more
 * would only wait inside PostgreSQL holding pooled connections. Queued here they wait without
 * one, and one player firing hundreds of bets at once cannot take the whole pool from everyone
 * else. Beyond `maxQueued` tasks (running and waiting) a key is refused with 429.
 */
export class PerKeyQueue {
  readonly #keys = new Map<string, { running: number; waiting: (() => void)[] }>();
  readonly #maxQueued: number;
  readonly #concurrency: number;

  constructor(maxQueued: number, concurrency = 1) {
    this.#maxQueued = maxQueued;
    this.#concurrency = concurrency;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let entry = this.#keys.get(key);
    if (!entry) {
      entry = { running: 0, waiting: [] };
      this.#keys.set(key, entry);
    }
    if (entry.running + entry.waiting.length >= this.#maxQueued) {
      throw new LudicError('RATE_LIMITED', 'too many bets in flight; retry shortly', undefined, { 'retry-after': '1' });
    }
    if (entry.running < this.#concurrency) entry.running++;
    else await new Promise<void>((resolve) => entry.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or give it back.
      const next = entry.waiting.shift();
      if (next) next();
      else if (--entry.running === 0) this.#keys.delete(key);
    }
  }
}

/**
 * Bets of one player running at once on one bets instance: enough to keep their wallet row busy
 * (it is locked only for the one-statement debit), few enough that one player holds at most
 * 40 % of the instance's pooled connections (4 of the default 10). Tied to the pool rather than
 * fixed, so one instance with twice the pool gives a player the same budget as two instances.
 */
export function concurrentBetsPerPlayer(poolSize: number): number {
  return Math.max(1, Math.floor(poolSize * 0.4));
}
