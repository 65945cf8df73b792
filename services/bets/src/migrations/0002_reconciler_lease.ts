import type { Kysely } from 'kysely';

/**
 * The reconciler's lease: which pass may reconcile now (a random token) and until when. It
 * replaces a session advisory lock, which PgBouncer's transaction pooling cannot hold.
 * Frozen: a later change is a new migration.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('reconciler_state')
    .addColumn('lease_token', 'uuid')
    .addColumn('lease_expires_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('reconciler_state').dropColumn('lease_expires_at').dropColumn('lease_token').execute();
}
