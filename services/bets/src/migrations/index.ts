import type { Migration } from 'kysely';
import * as eventsBetsOutbox from './0001_events_bets_outbox.js';
import * as reconcilerLease from './0002_reconciler_lease.js';

/** The bets service's schema; it never reads or writes any other. */
export const SCHEMA = 'bets';

/** Applied in key order by `pnpm --filter @ludic/bets migrate`; frozen once released. */
export const migrations: Record<string, Migration> = {
  '0001_events_bets_outbox': eventsBetsOutbox,
  '0002_reconciler_lease': reconcilerLease,
};
