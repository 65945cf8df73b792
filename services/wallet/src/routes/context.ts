import type { BalanceCache } from '../balance-cache.js';
import type { DepositLimits, WalletSettings } from '../ledger.js';
import type { Db } from '../repository.js';

/** What the route handlers share: the database, the balance cache and the validated settings. */
export interface WalletContext {
  db: Db;
  /** Every movement goes through `cache.move` (or `cache.finish`), so cached balances stay true. */
  cache: BalanceCache;
  settings: WalletSettings;
  deposits: { enabled: boolean; limits: DepositLimits };
}
