import type { Migration } from 'kysely';
import * as eventsBetsOutbox from './0001_events_bets_outbox.js';

/** The bets service's schema; it never reads or writes any other. */
export const SCHEMA = 'bets';

/** Applied in key order by `pnpm --filter @ludic/bets migrate`; frozen once released. */
export const migrations: Record<string, Migration> = {
  '0001_events_bets_outbox': eventsBetsOutbox,
};
