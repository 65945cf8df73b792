import { sql, type Kysely } from 'kysely';

/**
 * Users of the built-in identity provider (PocketBase keeps its own). Frozen: change the
 * schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // The gateway lower-cases emails; the check and the unique index hold even if code forgets.
    .addColumn('email', 'text', (c) => c.notNull().check(sql`email = lower(btrim(email)) and length(email) between 3 and 254`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 100`))
    // argon2id PHC string: algorithm, parameters and salt travel with the hash.
    .addColumn('password_hash', 'text', (c) => c.notNull().check(sql`password_hash like '$argon2id$%'`))
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('users_email_key').on('users').expression(sql`lower(email)`).unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('users').execute();
}
