import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { FaultPoint } from '../config.js';
import type { BetsDatabase, OutboxRow } from '../db.js';
import { claimDueCredits, markDelivered, markFailed } from '../repositories/outbox.js';
import type { WalletClient } from '../wallet.js';

export interface OutboxDeps {
  db: Kysely<BetsDatabase>;
  wallet: WalletClient;
  log: FastifyBaseLogger;
  batchSize: number;
  /** How long a claimed credit is left alone by other workers; well above one wallet call. */
  leaseMs: number;
  maxBackoffMs: number;
  fault: FaultPoint | undefined;
}

/** 1 s, 2 s, 4 s … capped, with jitter so a wallet coming back is not hit by every row at once. */
export function backoffMs(attempts: number, maxBackoffMs: number): number {
  const base = Math.min(maxBackoffMs, 1000 * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/**
 * One pass of the settlement outbox: claim due credits (SKIP LOCKED, so instances share the
 * work), credit the wallet (idempotent by `payout:`/`refund:` reference, so a delivery repeated
 * after a crash pays nothing twice), mark them delivered or schedule a retry. Returns how many
 * were delivered.
 */
export async function deliverDueCredits(deps: OutboxDeps): Promise<number> {
  const claimed = await claimDueCredits(deps.db, deps.batchSize, deps.leaseMs);
  const outcomes = await Promise.all(claimed.map((row) => deliver(deps, row)));
  return outcomes.filter(Boolean).length;
}

async function deliver(deps: OutboxDeps, row: OutboxRow): Promise<boolean> {
  try {
    await deps.wallet.credit(
      { userId: row.user_id, amount: row.amount, reference: row.reference, type: row.kind === 'payout' ? 'bet_payout' : 'bet_refund' },
      `outbox:${row.id}:${row.attempts}`,
    );
  } catch (err) {
    const retryInMs = backoffMs(row.attempts, deps.maxBackoffMs);
    deps.log.warn({ err, reference: row.reference, attempts: row.attempts, retryInMs }, 'credit not delivered; will retry');
    await markFailed(deps.db, row.id, (err as Error).message, retryInMs);
    return false;
  }
  if (deps.fault === 'exit-mid-outbox') {
    deps.log.warn({ reference: row.reference }, 'fault switch: dying after a credit, before recording its delivery');
    process.kill(process.pid, 'SIGKILL');
  }
  await markDelivered(deps.db, row.id);
  return true;
}
