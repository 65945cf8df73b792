import type { IdempotencyStore } from '@ludic/service-kit';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { BetsConfig } from './config.js';
import type { BetsDatabase } from './db.js';
import type { StakeLimits } from './domain/limits.js';
import type { EventsCache } from './events-cache.js';
import type { BetStreams } from './streams.js';
import type { WalletClient } from './wallet.js';
import type { PeriodicWorker } from './workers/periodic.js';

/** Everything the bets routes and workers share, built once per app by `buildApp`. */
export interface BetsRuntime {
  config: BetsConfig;
  db: Kysely<BetsDatabase>;
  pool: pg.Pool;
  wallet: WalletClient;
  limits: StakeLimits;
  idempotency: IdempotencyStore;
  cache: EventsCache;
  streams: BetStreams;
  workers: {
    /** Voids `bet:` debits without a bet. */
    reconciler: PeriodicWorker;
    /** Delivers payouts and refunds. */
    outbox: PeriodicWorker;
    /** Moves kicked-off events to live. */
    kickoff: PeriodicWorker;
    idempotencyPurge: PeriodicWorker;
  };
}
