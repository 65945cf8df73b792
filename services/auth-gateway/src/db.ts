/** Kysely's view of the `auth` schema: one interface per table. */
export interface AuthDatabase {}
