import { ApiError, createClient, publicRoutes, type Transport } from '@ludic/contracts';
import { session } from './session';
import { fetchTransport } from './transport';

/**
 * Adds the access token, refreshing it first when it is about to expire; a 401 (expired or
 * revoked token) triggers one refresh and one retry, and signs out when the refresh fails.
 */
const authorizedTransport: Transport = async (request) => {
  const send = async (token: string | null) =>
    fetchTransport({ ...request, headers: token ? { ...request.headers, authorization: `Bearer ${token}` } : request.headers });
  const response = await send(await session.accessToken());
  if (response.status !== 401 || !session.isSignedIn()) return response;
  const refreshed = await session.refreshAfterRejection();
  return refreshed ? send(refreshed) : response;
};

/** Every public route, typed from the contract, with the session's token: `api.placeBet({ body, headers })`. */
export const api = createClient(publicRoutes, authorizedTransport);

/** A fresh Idempotency-Key: one per attempt the player makes (a retry of the same attempt reuses it). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export function errorCode(error: unknown): string {
  if (error instanceof ApiError) return error.code;
  return 'NETWORK';
}

export function errorDetails(error: unknown): Record<string, unknown> {
  return error instanceof ApiError ? (error.envelope?.details ?? {}) : {};
}
