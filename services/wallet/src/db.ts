import type { IdempotencyRecordTable } from '@ludic/service-kit';
import type { EntryType } from '@ludic/contracts';
import type { Generated } from 'kysely';

/** Kysely's view of the `wallet` schema: one interface per table. Money in minor units. */
export interface WalletDatabase {
  wallets: WalletsTable;
  ledger_entries: LedgerEntriesTable;
  voided_references: VoidedReferencesTable;
  idempotency_keys: IdempotencyRecordTable;
}

export interface WalletsTable {
  id: Generated<string>;
  user_id: string;
  balance: bigint;
  currency: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface LedgerEntriesTable {
  id: Generated<string>;
  entry_no: Generated<bigint>;
  wallet_id: string;
  type: EntryType;
  /** Signed: stakes negative, everything else positive. */
  amount: bigint;
  balance_after: bigint;
  reference: string;
  reference_kind: Generated<string>;
  created_at: Generated<Date>;
}

export interface VoidedReferencesTable {
  reference: string;
  /** The `bet_stake_reversal` entry, or null when the void came before any debit. */
  reversal_entry_id: string | null;
  voided_at: Generated<Date>;
}
