import { ApiError, createClient, formatMoney, internalRoutes, type CreditType, type LedgerEntry } from '@ludic/contracts';
import { undiciTransport } from '@ludic/contracts/undici';
import type { BetsConfig } from './config.js';

/** The wallet definitely did not take the money: nothing to undo. */
export class DebitRefused extends Error {
  override name = 'DebitRefused';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** The wallet's answer is unknown (timeout, connection lost, 5xx): the debit may have happened. */
export class WalletOutcomeUnknown extends Error {
  override name = 'WalletOutcomeUnknown';
}

export interface WalletClient {
  /** Takes a stake; throws DebitRefused (certainly not taken) or WalletOutcomeUnknown. */
  debit(input: { userId: string; amount: bigint; reference: string }, requestId: string): Promise<void>;
  /** Pays out or refunds; idempotent by reference. Throws on any failure (the caller retries). */
  credit(input: { userId: string; amount: bigint; reference: string; type: CreditType }, requestId: string): Promise<void>;
  /** Reverses the debit of `reference`, or leaves a tombstone that refuses a late one. */
  voidDebit(reference: string, requestId: string): Promise<{ voided: boolean }>;
  /** `bet:` ledger entries created before `olderThan`, after the entry `after` (keyset pages), for reconciliation. */
  entries(query: { prefix?: string; reference?: string; olderThan?: Date; after?: string; limit?: number }, requestId: string): Promise<LedgerEntry[]>;
  close(): Promise<void>;
}

/**
 * The wallet's internal routes through the typed contract client, with a hard deadline on
 * every call (WALLET_TIMEOUT_MS) so no bet transaction waits on the network for long.
 */
export function createWalletClient(config: Pick<BetsConfig, 'WALLET_URL' | 'WALLET_TIMEOUT_MS' | 'INTERNAL_TOKEN'>): WalletClient {
  const transport = undiciTransport({
    origin: config.WALLET_URL,
    timeoutMs: config.WALLET_TIMEOUT_MS,
    headers: { 'x-internal-token': config.INTERNAL_TOKEN },
  });
  const wallet = createClient(internalRoutes, transport);
  const headersFor = (requestId: string) => ({ 'x-request-id': requestId });

  return {
    async debit({ userId, amount, reference }, requestId) {
      try {
        await wallet.debit({ body: { userId, amount: formatMoney(amount), reference }, headers: headersFor(requestId) });
      } catch (error) {
        // A 4xx is a decision the wallet made and committed (or refused) in full; anything else
        // (5xx, timeout, reset) leaves the outcome open.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          throw new DebitRefused(error.code, error.message);
        }
        throw new WalletOutcomeUnknown(`wallet debit ${reference}: ${(error as Error).message}`, { cause: error });
      }
    },
    async credit({ userId, amount, reference, type }, requestId) {
      await wallet.credit({ body: { userId, amount: formatMoney(amount), reference, type }, headers: headersFor(requestId) });
    },
    async voidDebit(reference, requestId) {
      return wallet.void({ body: { reference }, headers: headersFor(requestId) });
    },
    async entries({ prefix, reference, olderThan, after, limit }, requestId) {
      return wallet.entries({
        query: {
          ...(prefix ? { prefix } : {}),
          ...(reference ? { reference } : {}),
          ...(olderThan ? { olderThan: olderThan.toISOString() } : {}),
          ...(after ? { after } : {}),
          ...(limit ? { limit } : {}),
        },
        headers: headersFor(requestId),
      });
    },
    close: () => transport.close(),
  };
}
