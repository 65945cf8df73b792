import type { Migration } from 'kysely';
import * as walletsLedger from './0001_wallets_ledger.js';
import * as takeStakeFunction from './0002_take_stake_function.js';

/** The wallet service's schema; it never reads or writes any other. */
export const SCHEMA = 'wallet';

/** Applied in key order by `pnpm --filter @ludic/wallet migrate`; frozen once released. */
export const migrations: Record<string, Migration> = {
  '0001_wallets_ledger': walletsLedger,
  '0002_take_stake_function': takeStakeFunction,
};
