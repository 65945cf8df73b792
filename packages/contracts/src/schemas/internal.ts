import { Type, type Static } from '@sinclair/typebox';
import { Money, SignedMoney, Timestamp, UserId, Uuid } from './common.js';
import { EntryType } from './wallet.js';

/** `kind:id`, e.g. `bet:0190…`, `payout:0190…`, `refund:0190…`. */
export const Reference = Type.String({ pattern: '^[a-z_]{1,32}:[A-Za-z0-9_.:-]{1,200}$', maxLength: 233 });

export const DebitBody = Type.Object(
  { userId: UserId, amount: Money, reference: Reference },
  { additionalProperties: false },
);
export type DebitBody = Static<typeof DebitBody>;

export const CreditType = Type.Union([Type.Literal('bet_payout'), Type.Literal('bet_refund'), Type.Literal('adjustment')]);
export type CreditType = Static<typeof CreditType>;

export const CreditBody = Type.Object(
  { userId: UserId, amount: Money, reference: Reference, type: CreditType },
  { additionalProperties: false },
);
export type CreditBody = Static<typeof CreditBody>;

export const MovementResult = Type.Object(
  { entryId: Uuid, balance: Money },
  { additionalProperties: false },
);
export type MovementResult = Static<typeof MovementResult>;

export const VoidBody = Type.Object({ reference: Reference }, { additionalProperties: false });
export type VoidBody = Static<typeof VoidBody>;

export const VoidResult = Type.Object({ voided: Type.Boolean() }, { additionalProperties: false });
export type VoidResult = Static<typeof VoidResult>;

export const EntriesQuery = Type.Object(
  {
    reference: Type.Optional(Reference),
    prefix: Type.Optional(Type.String({ pattern: '^[a-z_]{1,32}:$' })),
    olderThan: Type.Optional(Timestamp),
    after: Type.Optional(
      Type.String({
        format: 'uuid',
        maxLength: 36,
        description: 'With `prefix`: the id of the last entry of the previous page; the list goes on strictly after it (newest first, ties by entry number, latest first).',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export type EntriesQuery = Static<typeof EntriesQuery>;

export const LedgerEntry = Type.Object(
  {
    id: Uuid,
    walletId: Uuid,
    userId: UserId,
    type: EntryType,
    amount: SignedMoney,
    balanceAfter: Money,
    reference: Type.String(),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type LedgerEntry = Static<typeof LedgerEntry>;
