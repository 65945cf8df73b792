/** Kysely's view of the `bets` schema: one interface per table. */
export interface BetsDatabase {}
