import type { DepositLimits, WalletSettings } from '../ledger.js';
import type { Db } from '../repository.js';

/** What the route handlers share: the database and the validated settings. */
export interface WalletContext {
  db: Db;
  settings: WalletSettings;
  deposits: { enabled: boolean; limits: DepositLimits };
}
