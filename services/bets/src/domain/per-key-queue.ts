import { LudicError } from '@ludic/service-kit';

/**
 * Runs tasks one at a time per key (here: per player, per instance). The wallet serializes a
 * player's debits anyway, so a player's bets gain nothing from running side by side; queued
 * here they wait without holding a database connection, and one player firing hundreds of
 * bets at once cannot take the whole pool from everyone else. Beyond `maxQueued` waiting
 * tasks a key is refused with 429.
 */
export class PerKeyQueue {
  readonly #tails = new Map<string, { tail: Promise<void>; size: number }>();
  readonly #maxQueued: number;

  constructor(maxQueued: number) {
    this.#maxQueued = maxQueued;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const entry = this.#tails.get(key) ?? { tail: Promise.resolve(), size: 0 };
    if (entry.size >= this.#maxQueued) {
      throw new LudicError('RATE_LIMITED', 'too many bets in flight; retry shortly', undefined, { 'retry-after': '1' });
    }
    entry.size++;
    this.#tails.set(key, entry);
    const result = entry.tail.then(task);
    entry.tail = result.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await result;
    } finally {
      entry.size--;
      if (entry.size === 0) this.#tails.delete(key);
    }
  }
}
