import { Type, type Static } from '@sinclair/typebox';

/**
 * Every error code a Ludic service can answer with, and its HTTP status. Clients branch on
 * `code`, never on `message`. Adding a code is fine; changing one's meaning is not.
 */
export const ErrorCodes = {
  // generic HTTP
  VALIDATION_ERROR: 400,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  // idempotency
  IDEMPOTENCY_KEY_REUSED: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  // auth
  INVALID_CREDENTIALS: 401,
  REFRESH_TOKEN_INVALID: 401,
  EMAIL_TAKEN: 409,
  IDENTITY_UNAVAILABLE: 503,
  // wallet
  WALLET_NOT_FOUND: 404,
  INSUFFICIENT_FUNDS: 422,
  DEPOSIT_LIMIT_EXCEEDED: 422,
  DEPOSITS_DISABLED: 403,
  REFERENCE_CONFLICT: 409,
  REFERENCE_VOIDED: 409,
  // events and bets
  EVENT_NOT_FOUND: 404,
  BET_NOT_FOUND: 404,
  EVENT_NOT_OPEN: 409,
  ODDS_CHANGED: 409,
  STAKE_TOO_LOW: 422,
  STAKE_TOO_HIGH: 422,
  PAYOUT_TOO_HIGH: 422,
  WALLET_UNAVAILABLE: 503,
  INVALID_STATUS_TRANSITION: 409,
  EVENT_ALREADY_SETTLED: 409,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export const ErrorCodeSchema = Type.Union(
  (Object.keys(ErrorCodes) as ErrorCode[]).map((code) => Type.Literal(code)),
  { $id: 'ErrorCode' },
);

/** The error envelope: Fastify's shape plus our code and optional details. */
export const ErrorEnvelope = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'One of ErrorCode; clients branch on it.' }),
    error: Type.String({ description: 'The HTTP reason phrase.' }),
    message: Type.String({ description: 'For people; may change without notice.' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorEnvelope', additionalProperties: false },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

/** Validation failures list the failing fields in `details.fields`. */
export interface ValidationIssue {
  /** JSON pointer-ish location: "body/amount", "querystring/limit", "headers/idempotency-key". */
  field: string;
  message: string;
}

export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.statusCode === 'number' && typeof v.code === 'string' && typeof v.message === 'string';
}
