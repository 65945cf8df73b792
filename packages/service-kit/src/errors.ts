import { STATUS_CODES } from 'node:http';
import { ErrorCodes, type ErrorCode, type ErrorEnvelope } from '@ludic/contracts';

/**
 * A failure the client should see: one named code per failure, the status that code implies,
 * and optional details (e.g. the current odds). Anything else thrown becomes a hidden 500.
 */
export class LudicError extends Error {
  override name = 'LudicError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, headers?: Record<string, string>) {
    super(message);
    this.code = code;
    this.statusCode = ErrorCodes[code];
    this.details = details;
    this.headers = headers;
  }
}

export function envelope(statusCode: number, code: string, message: string, details?: Record<string, unknown>): ErrorEnvelope {
  const body: ErrorEnvelope = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (details !== undefined) body.details = details;
  return body;
}
