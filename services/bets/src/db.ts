import type { IdempotencyRecordTable } from '@ludic/service-kit';
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type EventStatusColumn = 'upcoming' | 'live' | 'suspended' | 'finished' | 'cancelled';
export type SelectionColumn = 'home' | 'draw' | 'away';
export type BetStatusColumn = 'pending' | 'won' | 'lost' | 'void';
export type OutboxKind = 'payout' | 'refund';

export interface EventsTable {
  id: string;
  tournament: string;
  round: string;
  home_team: string;
  away_team: string;
  starts_at: Timestamp;
  status: EventStatusColumn;
  score_home: number | null;
  score_away: number | null;
  result: SelectionColumn | null;
  /** Decimal odds in hundredths ("2.50" is 250). */
  odds_home: number;
  odds_draw: number;
  odds_away: number;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  settled_at: Date | null;
}

export interface BetsTable {
  id: string;
  user_id: string;
  /** The player's name as the token carried it when betting (leaderboard). */
  user_name: string;
  event_id: string;
  event_name: string;
  selection: SelectionColumn;
  odds: number;
  /** Minor units. */
  amount: bigint;
  potential_win: bigint;
  status: BetStatusColumn;
  result: SelectionColumn | null;
  created_at: Generated<Date>;
  settled_at: Date | null;
}

export interface SettlementOutboxTable {
  id: Generated<string>;
  bet_id: string;
  user_id: string;
  kind: OutboxKind;
  amount: bigint;
  /** The wallet reference (`payout:<betId>`, `refund:<betId>`): delivery is idempotent on it. */
  reference: string;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  delivered_at: Date | null;
  last_error: string | null;
  created_at: Generated<Date>;
}

export interface ReconcilerStateTable {
  name: string;
  /** Every `bet:` debit created before this instant has been checked. */
  checked_until: Date;
  /** The reconciler pass holding the lease (workers/reconciler.ts), null when none does. */
  lease_token: string | null;
  /** The lease is free once this instant has passed (the database's clock). */
  lease_expires_at: Date | null;
}

/** Kysely's view of the `bets` schema: one interface per table. */
export interface BetsDatabase {
  events: EventsTable;
  bets: BetsTable;
  settlement_outbox: SettlementOutboxTable;
  reconciler_state: ReconcilerStateTable;
  idempotency_keys: IdempotencyRecordTable;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type BetRow = Selectable<BetsTable>;
export type OutboxRow = Selectable<SettlementOutboxTable>;
