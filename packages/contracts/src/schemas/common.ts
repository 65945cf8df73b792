import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MONEY_PATTERN, ODDS_PATTERN, SIGNED_MONEY_PATTERN } from '../money.js';

/** A positive or zero amount as the API accepts and prints it ("100.00"). */
export const Money = Type.String({
  pattern: MONEY_PATTERN,
  maxLength: 16,
  description: 'Decimal string, at most two decimals, no sign or exponent: "100.00".',
  examples: ['100.00'],
});
/** A signed amount as the API prints it (ledger entries): "-25.00". */
export const SignedMoney = Type.String({ pattern: SIGNED_MONEY_PATTERN, examples: ['-25.00'] });
/** Decimal odds, 1.01 to 1000.00: "2.50". */
export const Odds = Type.String({ pattern: ODDS_PATTERN, maxLength: 7, examples: ['2.50'] });

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });
/** User ids come from the identity provider (PocketBase: 15 characters; built-in: a UUID). */
export const UserId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
export const Timestamp = Type.String({ format: 'date-time' });

/**
 * One character people can read: no control characters (PostgreSQL cannot store NUL, and none
 * belongs in a name) and no lone UTF-16 surrogates (they would be stored as U+FFFD). The
 * validators compile patterns with the `u` flag, so a surrogate pair is one code point and passes.
 */
export const PRINTABLE_CHARACTER = '[^\\x00-\\x1F\\x7F\\uD800-\\uDFFF]';
/** Text people read (display names, teams, tournaments): 1–100 printable characters, not blank. */
export const Label = Type.String({ minLength: 1, maxLength: 100, pattern: `^(?=.*\\S)${PRINTABLE_CHARACTER}+$` });

export const Currency = Type.String({ pattern: '^[A-Z]{3}$', examples: ['RUB'] });

/** `?limit=&before=`: lists are bare arrays, newest first unless a route says otherwise. */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

/** 1–255 visible ASCII characters, scoped to the user, kept at least 24 h. */
export const IdempotencyKey = Type.String({ pattern: '^[\\x21-\\x7E]{1,255}$' });
export const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) });

export const Success = Type.Object({ success: Type.Literal(true) }, { additionalProperties: false });

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}
