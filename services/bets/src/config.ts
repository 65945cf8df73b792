import { Type, type Static } from '@sinclair/typebox';
import { BaseConfig, ConfigError, TokenVerifyConfig, UserRateLimitConfig } from '@ludic/service-kit';

const MoneySetting = (defaultValue: string, description: string) =>
  Type.String({ pattern: '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$', default: defaultValue, description });

/**
 * Crash windows of the bet protocol a test can force. Refused outside NODE_ENV=test (see
 * checkBetsConfig), so a production process can never be told to lose track of a debit.
 */
export const FaultPoints = ['exit-after-debit', 'fail-commit-after-debit', 'exit-mid-outbox'] as const;
export type FaultPoint = (typeof FaultPoints)[number];

export const BetsConfigSchema = Type.Object({
  ...BaseConfig,
  ...TokenVerifyConfig,
  ...UserRateLimitConfig,
  /** Shared secret presented to the wallet's internal routes. */
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
  /** The wallet's base URL (an instance, or an internal load balancer). */
  WALLET_URL: Type.String({ pattern: '^https?://' }),
  /** Deadline for one call to the wallet, connect included. */
  WALLET_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 30_000, default: 2_000 }),
  MIN_STAKE: MoneySetting('1.00', 'Smallest stake accepted.'),
  MAX_STAKE: MoneySetting('10000.00', 'Largest stake accepted.'),
  MAX_PAYOUT: MoneySetting('100000.00', 'Largest potential win (stake × odds) accepted.'),
  /**
   * A `bet:` debit older than this with no committed bet is voided by the reconciler. It must
   * stay well above the longest a bet transaction can last (BET_TRANSACTION_DEADLINE_MS).
   */
  RECONCILE_AFTER_MS: Type.Integer({ minimum: 500, default: 30_000 }),
  RECONCILE_INTERVAL_MS: Type.Integer({ minimum: 50, default: 5_000 }),
  /**
   * A bet transaction that took longer than this is rolled back and its debit voided instead
   * of committed, so the reconciler can never void the debit of a bet that commits later.
   */
  BET_TRANSACTION_DEADLINE_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 50, default: 1_000 }),
  /** How long a claimed credit is left to its worker before another may deliver it (again). */
  OUTBOX_LEASE_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  /** Ceiling of the exponential backoff between two delivery attempts of one credit. */
  OUTBOX_MAX_BACKOFF_MS: Type.Integer({ minimum: 100, default: 60_000 }),
  KICKOFF_INTERVAL_MS: Type.Integer({ minimum: 50, default: 1_000 }),
  /** How often an open `GET /api/bets/stream` gets a comment line, so proxies keep it open. */
  STREAM_KEEPALIVE_MS: Type.Integer({ minimum: 100, default: 15_000 }),
  /** A finished event stays in the default `GET /api/events` list this long after settlement. */
  FINISHED_EVENTS_VISIBLE_MS: Type.Integer({ minimum: 0, default: 86_400_000 }),
  /** Test-only crash switch; see FaultPoints. */
  LUDIC_FAULT: Type.Optional(Type.Union(FaultPoints.map((point) => Type.Literal(point)))),
});
export type BetsConfig = Static<typeof BetsConfigSchema>;

/**
 * Settings that are each valid but unsafe together stop the service at start: the fault switch
 * outside tests, or a reconciler that could judge a debit whose bet may still commit. A bet
 * transaction is abandoned at BET_TRANSACTION_DEADLINE_MS; after that check it runs at most two
 * more statements (the idempotency record and COMMIT), each bounded by the statement timeout.
 */
export function checkBetsConfig(
  config: Pick<BetsConfig, 'NODE_ENV' | 'LUDIC_FAULT' | 'RECONCILE_AFTER_MS' | 'BET_TRANSACTION_DEADLINE_MS' | 'DATABASE_STATEMENT_TIMEOUT_MS' | 'WALLET_TIMEOUT_MS'>,
): void {
  if (config.LUDIC_FAULT && config.NODE_ENV !== 'test') {
    throw new ConfigError(`LUDIC_FAULT=${config.LUDIC_FAULT} is only allowed with NODE_ENV=test`);
  }
  const longestTransaction = config.BET_TRANSACTION_DEADLINE_MS + 2 * config.DATABASE_STATEMENT_TIMEOUT_MS;
  if (config.RECONCILE_AFTER_MS <= longestTransaction) {
    throw new ConfigError(
      `RECONCILE_AFTER_MS (${config.RECONCILE_AFTER_MS}) must exceed the longest bet transaction: BET_TRANSACTION_DEADLINE_MS + 2 × DATABASE_STATEMENT_TIMEOUT_MS = ${longestTransaction}`,
    );
  }
  if (config.WALLET_TIMEOUT_MS >= config.BET_TRANSACTION_DEADLINE_MS) {
    throw new ConfigError('WALLET_TIMEOUT_MS must be below BET_TRANSACTION_DEADLINE_MS, or every slow debit is abandoned');
  }
}
