import { Type, type Static } from '@sinclair/typebox';
import { Currency, Money, SignedMoney, Timestamp, UserId, Uuid } from './common.js';

export const Wallet = Type.Object(
  {
    id: Uuid,
    userId: UserId,
    balance: Money,
    currency: Currency,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Wallet', additionalProperties: false },
);
export type Wallet = Static<typeof Wallet>;

export const EntryType = Type.Union([
  Type.Literal('opening'),
  Type.Literal('deposit'),
  Type.Literal('bet_stake'),
  Type.Literal('bet_stake_reversal'),
  Type.Literal('bet_payout'),
  Type.Literal('bet_refund'),
  Type.Literal('adjustment'),
]);
export type EntryType = Static<typeof EntryType>;

export const Transaction = Type.Object(
  {
    id: Uuid,
    type: EntryType,
    amount: SignedMoney,
    balanceAfter: Money,
    reference: Type.String(),
    createdAt: Timestamp,
  },
  { $id: 'Transaction', additionalProperties: false },
);
export type Transaction = Static<typeof Transaction>;

export const DepositBody = Type.Object({ amount: Money }, { additionalProperties: false });
export type DepositBody = Static<typeof DepositBody>;

export const DepositResult = Type.Object(
  { transaction: Transaction, balance: Money },
  { $id: 'DepositResult', additionalProperties: false },
);
export type DepositResult = Static<typeof DepositResult>;

export const WalletUpdated = Type.Object({ balance: Money }, { additionalProperties: false });
export type WalletUpdated = Static<typeof WalletUpdated>;
