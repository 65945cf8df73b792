import { Type, type Static } from '@sinclair/typebox';
import { BaseConfig } from '@ludic/service-kit';

export const WalletConfigSchema = Type.Object({
  ...BaseConfig,
  /** Shared secret other services present in `x-internal-token`. */
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
});
export type WalletConfig = Static<typeof WalletConfigSchema>;
