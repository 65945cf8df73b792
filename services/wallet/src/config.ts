import { Type, type Static } from '@sinclair/typebox';
import { BaseConfig, InternalTokenConfig, TokenVerifyConfig, UserRateLimitConfig } from '@ludic/service-kit';

/** An amount setting in the API's format ("1000.00"); parsed to minor units by `walletSettings`. */
const MoneySetting = (defaultValue: string, description: string) =>
  Type.String({ pattern: '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$', default: defaultValue, description });

export const WalletConfigSchema = Type.Object({
  ...BaseConfig,
  ...TokenVerifyConfig,
  ...UserRateLimitConfig,
  /** Shared secret other services present in `x-internal-token`. */
  ...InternalTokenConfig,
  /** The one currency of this deployment (ISO 4217). */
  CURRENCY: Type.String({ pattern: '^[A-Z]{3}$', default: 'RUB' }),
  OPENING_BALANCE: MoneySetting('1000.00', 'What a new wallet starts with (itself a ledger entry).'),
  /** The demo top-up can be switched off (403 DEPOSITS_DISABLED). */
  DEPOSITS_ENABLED: Type.Boolean({ default: true }),
  DEPOSIT_MAX: MoneySetting('10000.00', 'Largest single deposit.'),
  /**
   * How long GET /api/wallet answers live in Redis (see balance-cache.ts). A movement that Redis
   * could not hear waits this long (plus 250 ms) before answering, so keep it under bets'
   * WALLET_TIMEOUT_MS.
   */
  BALANCE_CACHE_TTL_MS: Type.Integer({ minimum: 1000, maximum: 60_000, default: 1000 }),
  DEPOSIT_DAILY_MAX: MoneySetting('50000.00', 'Most a wallet may receive in deposits over any 24 hours.'),
});
export type WalletConfig = Static<typeof WalletConfigSchema>;
