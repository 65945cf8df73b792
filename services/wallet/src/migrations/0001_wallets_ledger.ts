import { sql, type Kysely } from 'kysely';

/**
 * Wallets, the append-only ledger, void tombstones and idempotency records. Frozen: change the
 * schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('wallets')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.notNull().unique())
    // Minor units; the database itself refuses an overdraft whatever the code does.
    .addColumn('balance', 'bigint', (c) => c.notNull().check(sql`balance >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // Commit order within a wallet: entries are inserted while the wallet row is locked, so
    // this only grows along a wallet's history (timestamps can tie or step back).
    .addColumn('entry_no', 'bigint', (c) => c.notNull().unique().generatedAlwaysAsIdentity())
    .addColumn('wallet_id', 'uuid', (c) => c.notNull().references('wallets.id'))
    .addColumn('type', 'text', (c) =>
      c.notNull().check(sql`type in ('opening', 'deposit', 'bet_stake', 'bet_stake_reversal', 'bet_payout', 'bet_refund', 'adjustment')`),
    )
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('balance_after', 'bigint', (c) => c.notNull().check(sql`balance_after >= 0`))
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    // `bet` of `bet:<id>`: what the reconciler filters on.
    .addColumn('reference_kind', 'text', (c) => c.notNull().generatedAlwaysAs(sql`split_part(reference, ':', 1)`).stored())
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    // The sign follows the type: stakes take, everything else gives (adjustments either way).
    .addCheckConstraint(
      'ledger_entries_amount_sign',
      sql`case type
            when 'opening' then amount >= 0
            when 'bet_stake' then amount < 0
            when 'adjustment' then amount <> 0
            else amount > 0
          end`,
    )
    .execute();
  await db.schema.createIndex('ledger_entries_wallet_entry_no_idx').on('ledger_entries').columns(['wallet_id', 'entry_no desc']).execute();
  await db.schema
    .createIndex('ledger_entries_kind_created_at_idx')
    .on('ledger_entries')
    .columns(['reference_kind', 'created_at desc'])
    .execute();
  // The rolling daily deposit limit sums a wallet's recent deposits.
  await db.schema
    .createIndex('ledger_entries_deposits_idx')
    .on('ledger_entries')
    .columns(['wallet_id', 'created_at'])
    .where(sql.ref('type'), '=', 'deposit')
    .execute();

  // A void that found no debit leaves its tombstone (reversal_entry_id null) so the late debit
  // is refused; a void that reversed one points at the reversal.
  await db.schema
    .createTable('voided_references')
    .addColumn('reference', 'text', (c) => c.primaryKey())
    .addColumn('reversal_entry_id', 'uuid', (c) => c.unique().references('ledger_entries.id'))
    .addColumn('voided_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // The shape @ludic/service-kit's idempotency module expects.
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['user_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expires_at_idx').on('idempotency_keys').column('expires_at').execute();

  // History is never rewritten: not by a bug, not by a hurried operator. Corrections are new entries.
  await sql`
    create function wallet.refuse_history_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'restrict_violation';
    end $$`.execute(db);
  for (const table of ['ledger_entries', 'voided_references']) {
    await sql`create trigger ${sql.id(`${table}_append_only`)} before update or delete on ${sql.id('wallet', table)}
      for each row execute function wallet.refuse_history_change()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${sql.id('wallet', table)}
      for each statement execute function wallet.refuse_history_change()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
  await db.schema.dropTable('voided_references').execute();
  await db.schema.dropTable('ledger_entries').execute();
  await db.schema.dropTable('wallets').execute();
  await sql`drop function wallet.refuse_history_change()`.execute(db);
}
