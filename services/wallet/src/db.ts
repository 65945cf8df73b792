/** Kysely's view of the `wallet` schema: one interface per table. */
export interface WalletDatabase {}
