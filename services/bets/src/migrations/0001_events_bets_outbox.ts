import { sql, type Kysely } from 'kysely';

/**
 * Events with 1X2 odds, bets, the settlement outbox, Idempotency-Key records and the
 * reconciler's progress.
 * Frozen: a later change is a new migration.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tournament', 'text', (c) => c.notNull())
    .addColumn('round', 'text', (c) => c.notNull())
    .addColumn('home_team', 'text', (c) => c.notNull())
    .addColumn('away_team', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('upcoming', 'live', 'suspended', 'finished', 'cancelled')`),
    )
    .addColumn('score_home', 'integer', (c) => c.check(sql`score_home between 0 and 99`))
    .addColumn('score_away', 'integer', (c) => c.check(sql`score_away between 0 and 99`))
    .addColumn('result', 'text', (c) => c.check(sql`result in ('home', 'draw', 'away')`))
    .addColumn('odds_home', 'integer', (c) => c.notNull().check(sql`odds_home between 101 and 100000`))
    .addColumn('odds_draw', 'integer', (c) => c.notNull().check(sql`odds_draw between 101 and 100000`))
    .addColumn('odds_away', 'integer', (c) => c.notNull().check(sql`odds_away between 101 and 100000`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('settled_at', 'timestamptz')
    // A finished event has its result; nothing else has one.
    .addCheckConstraint('events_result_iff_finished', sql`(status = 'finished') = (result is not null)`)
    .execute();
  await db.schema.createIndex('events_starts_at_idx').on('events').columns(['starts_at', 'id']).execute();
  // The kick-off worker's query: upcoming events by kick-off.
  await db.schema
    .createIndex('events_upcoming_starts_at_idx')
    .on('events')
    .column('starts_at')
    .where(sql.ref('status'), '=', 'upcoming')
    .execute();

  await db.schema
    .createTable('bets')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull().references('bets.events.id'))
    .addColumn('event_name', 'text', (c) => c.notNull())
    .addColumn('selection', 'text', (c) => c.notNull().check(sql`selection in ('home', 'draw', 'away')`))
    .addColumn('odds', 'integer', (c) => c.notNull().check(sql`odds between 101 and 100000`))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('potential_win', 'bigint', (c) => c.notNull().check(sql`potential_win >= amount`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'won', 'lost', 'void')`))
    .addColumn('result', 'text', (c) => c.check(sql`result in ('home', 'draw', 'away')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('settled_at', 'timestamptz')
    .addCheckConstraint('bets_settled_at_iff_settled', sql`(status = 'pending') = (settled_at is null)`)
    .execute();
  await db.schema.createIndex('bets_user_created_idx').on('bets').columns(['user_id', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('bets_user_status_idx').on('bets').columns(['user_id', 'status']).execute();
  // Settlement reads only the pending bets of one event.
  await db.schema
    .createIndex('bets_pending_by_event_idx')
    .on('bets')
    .column('event_id')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  // The leaderboard aggregates settled bets per user.
  await db.schema
    .createIndex('bets_settled_by_user_idx')
    .on('bets')
    .columns(['user_id', 'created_at'])
    .where(sql.ref('status'), 'in', ['won', 'lost'])
    .execute();

  await db.schema
    .createTable('settlement_outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('bet_id', 'uuid', (c) => c.notNull().references('bets.bets.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('payout', 'refund')`))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A bet is paid or refunded at most once, whatever happens to the settle request.
    .addUniqueConstraint('settlement_outbox_bet_unique', ['bet_id'])
    .execute();
  await db.schema
    .createIndex('settlement_outbox_due_idx')
    .on('settlement_outbox')
    .column('next_attempt_at')
    .where(sql.ref('delivered_at'), 'is', null)
    .execute();

  // Idempotency-Key records of POST /api/bets, the shape @ludic/service-kit's idempotency
  // module expects; each is written in the same transaction as its bet.
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

  await db.schema
    .createTable('reconciler_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('checked_until', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('reconciler_state').execute();
  await db.schema.dropTable('idempotency_keys').execute();
  await db.schema.dropTable('settlement_outbox').execute();
  await db.schema.dropTable('bets').execute();
  await db.schema.dropTable('events').execute();
}
