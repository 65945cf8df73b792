import type { CancelResult, Selection, SettleEventBody, SettleResult } from '@ludic/contracts';
import { LudicError } from '@ludic/service-kit';
import type { Transaction } from 'kysely';
import type { BetsDatabase, EventRow } from '../db.js';
import { settlePendingBets, voidPendingBets, type SettledTotal } from '../repositories/bets.js';
import { lockEventForUpdate, updateEvent } from '../repositories/events.js';
import { decideStatusChange } from './event-status.js';
import { toEvent } from './mapping.js';

/** What a settlement changed: the response, and for after the commit the event and its totals. */
export interface SettlementOutcome<R> {
  result: R;
  eventId: string;
  totals: SettledTotal[];
}

function countOf(totals: readonly SettledTotal[], outcome: SettledTotal['outcome']): number {
  return totals.find((total) => total.outcome === outcome)?.bets ?? 0;
}

async function lockForSettlement(trx: Transaction<BetsDatabase>, id: string, kind: 'settle' | 'cancel'): Promise<EventRow> {
  // The update lock waits for every bet still being placed on the event (share lock), so
  // those bets are committed, and settled here, or rolled back; none can slip in afterwards.
  const event = await lockEventForUpdate(trx, id);
  if (!event) throw new LudicError('EVENT_NOT_FOUND', 'no such event');
  const verdict = decideStatusChange(event.status, { kind }, { now: new Date(), startsAt: event.starts_at });
  if (!verdict.ok) throw new LudicError(verdict.code, verdict.message, { status: event.status });
  return event;
}

/**
 * Records the result and, in the same transaction, marks every pending bet won or lost and
 * queues one payout per winner in the outbox (delivered to the wallet afterwards). A second
 * settle, concurrent or later, finds the event finished: 409, nothing paid twice.
 */
export async function settleEvent(trx: Transaction<BetsDatabase>, id: string, body: SettleEventBody): Promise<SettlementOutcome<SettleResult>> {
  await lockForSettlement(trx, id, 'settle');
  const result: Selection = body.result;
  const event = await updateEvent(trx, id, { status: 'finished', result, ...(body.score ? { score: body.score } : {}), settled: true });
  const totals = await settlePendingBets(trx, id, result);
  return { result: { event: toEvent(event), won: countOf(totals, 'won'), lost: countOf(totals, 'lost') }, eventId: id, totals };
}

/** Cancels the event: every pending bet void and its stake queued for refund, in one transaction. */
export async function cancelEvent(trx: Transaction<BetsDatabase>, id: string): Promise<SettlementOutcome<CancelResult>> {
  await lockForSettlement(trx, id, 'cancel');
  const event = await updateEvent(trx, id, { status: 'cancelled', settled: true });
  const totals = await voidPendingBets(trx, id);
  return { result: { event: toEvent(event), voided: countOf(totals, 'void') }, eventId: id, totals };
}
