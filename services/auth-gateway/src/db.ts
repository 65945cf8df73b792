import type { Generated } from 'kysely';

/** Kysely's view of the `auth` schema: one interface per table. */
export interface AuthDatabase {
  users: UsersTable;
}

export interface UsersTable {
  id: Generated<string>;
  /** Trimmed and lower-cased. */
  email: string;
  name: string;
  /** argon2id PHC string. */
  password_hash: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
