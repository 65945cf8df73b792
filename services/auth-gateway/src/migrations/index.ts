import type { Migration } from 'kysely';
import * as users from './0001_users.js';

/** The auth gateway's schema; it never reads or writes any other. */
export const SCHEMA = 'auth';

/** Applied in key order by `pnpm --filter @ludic/auth-gateway migrate`; frozen once released. */
export const migrations: Record<string, Migration> = {
  '0001_users': users,
};
