import { Type, type Static } from '@sinclair/typebox';
import { BaseConfig } from '@ludic/service-kit';

export const BetsConfigSchema = Type.Object({
  ...BaseConfig,
  /** Shared secret presented to the wallet's internal routes. */
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
  /** The wallet's base URL (an instance, or an internal load balancer). */
  WALLET_URL: Type.String({ pattern: '^https?://' }),
  /** Deadline for one call to the wallet, connect included. */
  WALLET_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 30_000, default: 2_000 }),
});
export type BetsConfig = Static<typeof BetsConfigSchema>;
