import { parseMoney } from '@ludic/contracts';
import type { FastifyInstance } from 'fastify';

/** The prom-client fastify-metrics resolved (it prefers @platformatic/prom-client): one registry per process. */
type PromClient = FastifyInstance['metrics']['client'];
type Owner = 'auth-gateway' | 'wallet' | 'bets';

/** Outcomes of `POST /api/auth/login`, from its response status. */
export type LoginOutcome = 'succeeded' | 'invalid_credentials' | 'rate_limited' | 'invalid_request' | 'unavailable';

/**
 * What happens to money and accounts, counted where it happens. Amounts are exported in
 * currency units (minor units / 100): Prometheus values are float64, exact far beyond any sum
 * a dashboard shows; the ledger, not a metric, is the source of truth.
 */
export interface BusinessMetrics {
  /** A bet committed (not a replay of an earlier one). */
  betPlaced(bet: { amount: string }): void;
  /** Bets a settlement or cancellation just decided (won, lost or void). */
  betsSettled(totals: readonly { outcome: string; bets: number; stakes: bigint }[]): void;
  /** A deposit committed (not a replay), in minor units. */
  depositMade(amountMinor: bigint): void;
  /** The login route answered with this status. */
  loginAnswered(statusCode: number): void;
  /** The reconciler voided this many stake debits that had no bet. */
  stakeDebitsVoided(count: number): void;
  /** Reports the settlement outbox's undelivered credits at every scrape. */
  trackOutboxBacklog(countUndelivered: () => Promise<number>): void;
}

export const METRIC_NAMES = {
  betsPlaced: 'ludic_bets_placed_total',
  betsPlacedStake: 'ludic_bets_placed_stake_total',
  betsSettled: 'ludic_bets_settled_total',
  betsSettledStake: 'ludic_bets_settled_stake_total',
  stakeDebitsVoided: 'ludic_bets_reconciler_voided_debits_total',
  outboxBacklog: 'ludic_bets_outbox_undelivered_credits',
  deposits: 'ludic_wallet_deposits_total',
  depositsAmount: 'ludic_wallet_deposits_amount_total',
  loginAttempts: 'ludic_auth_login_attempts_total',
} as const;

/**
 * prom-client's default gauges whose names end in `_total`, which Prometheus reserves for
 * counters (`promtool check metrics` rejects them). The same counts stay exported per type
 * under the names without the suffix (`nodejs_active_handles{type}` …).
 */
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** After fastify-metrics registered its own: fixes the defaults' names and adds the service's business metrics. */
export function registerServiceMetrics(client: PromClient, service: Owner): BusinessMetrics {
  for (const name of MISNAMED_DEFAULT_GAUGES) client.register.removeSingleMetric(name);
  return createBusinessMetrics(client, service);
}

function currencyUnits(minor: bigint): number {
  return Number(minor) / 100;
}

function loginOutcome(statusCode: number): LoginOutcome {
  if (statusCode < 300) return 'succeeded';
  if (statusCode === 401) return 'invalid_credentials';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode >= 500) return 'unavailable';
  return 'invalid_request';
}

/**
 * Creates every business metric and registers on the process registry only those of
 * `service`, so a wallet's `/metrics` never shows an idle bets counter. Recording a metric
 * another service owns is harmless (it is simply not exported).
 */
export function createBusinessMetrics(client: PromClient, service: Owner): BusinessMetrics {
  const owned: Array<{ owner: Owner; metric: Parameters<PromClient['register']['registerMetric']>[0] }> = [];
  const counter = <L extends string>(owner: Owner, name: string, help: string, labelNames: readonly L[] = []) => {
    const metric = new client.Counter<L>({ name, help, labelNames, registers: [] });
    owned.push({ owner, metric });
    return metric;
  };

  const betsPlaced = counter('bets', METRIC_NAMES.betsPlaced, 'Bets placed (committed, replays excluded).');
  const betsPlacedStake = counter('bets', METRIC_NAMES.betsPlacedStake, 'Sum of the stakes of placed bets, in currency units.');
  const betsSettled = counter('bets', METRIC_NAMES.betsSettled, 'Bets decided by a settlement or cancellation, by outcome.', ['outcome']);
  const betsSettledStake = counter('bets', METRIC_NAMES.betsSettledStake, 'Sum of the stakes of decided bets, in currency units, by outcome.', ['outcome']);
  const voided = counter('bets', METRIC_NAMES.stakeDebitsVoided, 'Stake debits without a bet that the reconciler voided (repairs).');
  const deposits = counter('wallet', METRIC_NAMES.deposits, 'Deposits committed (replays excluded).');
  const depositsAmount = counter('wallet', METRIC_NAMES.depositsAmount, 'Sum of committed deposits, in currency units.');
  const logins = counter('auth-gateway', METRIC_NAMES.loginAttempts, 'Login attempts by outcome (failures: invalid_credentials, rate_limited).', ['outcome']);

  let backlogSource: (() => Promise<number>) | undefined;
  const outboxBacklog = new client.Gauge({
    name: METRIC_NAMES.outboxBacklog,
    help: 'Payouts and refunds queued in the settlement outbox and not yet credited (NaN when the database cannot say).',
    registers: [],
    async collect() {
      if (!backlogSource) return;
      // A scrape during a database outage reports "unknown", never a stale number.
      this.set(await backlogSource().catch(() => Number.NaN));
    },
  });
  owned.push({ owner: 'bets', metric: outboxBacklog });

  for (const { owner, metric } of owned) if (owner === service) client.register.registerMetric(metric);
  // Labelled series appear at zero from the start, so rate() and dashboards see them before the first event.
  for (const outcome of ['won', 'lost', 'void']) {
    betsSettled.inc({ outcome }, 0);
    betsSettledStake.inc({ outcome }, 0);
  }
  for (const outcome of ['succeeded', 'invalid_credentials', 'rate_limited'] satisfies LoginOutcome[]) logins.inc({ outcome }, 0);

  return {
    betPlaced(bet) {
      betsPlaced.inc();
      betsPlacedStake.inc(currencyUnits(parseMoney(bet.amount) ?? 0n));
    },
    betsSettled(totals) {
      for (const total of totals) {
        betsSettled.inc({ outcome: total.outcome }, total.bets);
        betsSettledStake.inc({ outcome: total.outcome }, currencyUnits(total.stakes));
      }
    },
    depositMade(amountMinor) {
      deposits.inc();
      depositsAmount.inc(currencyUnits(amountMinor));
    },
    loginAnswered(statusCode) {
      logins.inc({ outcome: loginOutcome(statusCode) });
    },
    stakeDebitsVoided(count) {
      voided.inc(count);
    },
    trackOutboxBacklog(countUndelivered) {
      backlogSource = countUndelivered;
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Business counters of this service, exported on `/metrics` (see `createBusinessMetrics`). */
    businessMetrics: BusinessMetrics;
  }
}
