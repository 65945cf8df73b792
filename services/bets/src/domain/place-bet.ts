import { randomUUID } from 'node:crypto';
import { formatOdds, parseMoney, parseOdds, potentialWin, type Bet, type PlaceBetBody } from '@ludic/contracts';
import {
  idempotencyRecordValues,
  lockIdempotencyKey,
  LudicError,
  resolveIdempotencyRecord,
  type IdempotencyStore,
  type IdempotentRequest,
  type IdempotentResponse,
} from '@ludic/service-kit';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import type { FaultPoint } from '../config.js';
import type { BetRow, BetsDatabase } from '../db.js';
import { findBet, insertBetWithRecord, pendingBetRow, readBetPreconditions, type BetPreconditions } from '../repositories/bets.js';
import { DebitRefused, WalletOutcomeUnknown, type WalletClient } from '../wallet.js';
import { isOpenForBets } from './event-status.js';
import { checkStake, type StakeLimits } from './limits.js';
import { eventName, oddsOf, toBet, toEvent } from './mapping.js';

export interface PlaceBetDeps {
  db: Kysely<BetsDatabase>;
  pool: pg.Pool;
  idempotency: IdempotencyStore;
  wallet: WalletClient;
  limits: StakeLimits;
  /** A bet transaction older than this at commit time is abandoned (see BET_TRANSACTION_DEADLINE_MS). */
  transactionDeadlineMs: number;
  fault: FaultPoint | undefined;
  log: FastifyBaseLogger;
}

export interface Bettor {
  userId: string;
  name: string;
}

type DebitState = 'none' | 'refused' | 'unknown' | 'taken';

/** The wallet reference of a bet's stake. */
export function stakeReference(betId: string): string {
  return `bet:${betId}`;
}

export const PLACE_BET_OPERATION = 'POST /api/bets';

/**
 * Places a bet at the server's odds, once per Idempotency-Key. In one bets transaction of four
 * round trips: lock the key; read its record and lock the event (share) in one statement; check
 * the event is open and the odds are the ones the client saw, then write the bet together with
 * the key's record of the response; debit the wallet over HTTP (reference `bet:<id>`); commit.
 * Every way this can fail after the debit may have happened ends with a void of that
 * reference; a process that dies before it can void leaves the debit to the reconciler.
 */
export async function placeBet(
  deps: PlaceBetDeps,
  bettor: Bettor,
  body: PlaceBetBody,
  idempotencyKey: string,
  requestId: string,
): Promise<IdempotentResponse<Bet> & { replayed: boolean }> {
  const amount = parseMoney(body.amount);
  if (amount === null) throw new LudicError('VALIDATION_ERROR', 'amount is out of range', { fields: [{ field: 'body/amount', message: 'is out of range' }] });
  const offeredOdds = parseOdds(body.odds);
  if (offeredOdds === null) {
    throw new LudicError('VALIDATION_ERROR', 'odds must be between 1.01 and 1000.00', { fields: [{ field: 'body/odds', message: 'must be between 1.01 and 1000.00' }] });
  }
  const stake: Stake = { betId: randomUUID(), amount, offeredOdds };
  const progress: { debit: DebitState } = { debit: 'none' };
  const request: IdempotentRequest = { userId: bettor.userId, key: idempotencyKey, operation: PLACE_BET_OPERATION, payload: body };
  try {
    return await deps.db.transaction().execute(async (trx) => {
      // Measured from the first statement of the transaction (time spent waiting for a pooled
      // connection does not count: nothing was debited then).
      const startedAt = Date.now();
      await lockIdempotencyKey(trx as Transaction<unknown>, deps.idempotency, request);
      const found = await readBetPreconditions(trx, deps.idempotency, request, body.eventId);
      const claim = await resolveIdempotencyRecord<Bet>(trx as Transaction<unknown>, deps.idempotency, request, found.record);
      if (claim.replay) return { status: claim.status, body: claim.body, replayed: true };
      const bet = await recordBetAndDebit(trx, deps, { bettor, body, stake, request, found, startedAt }, progress, requestId);
      return { status: 201, body: toBet(bet), replayed: false };
    });
  } catch (error) {
    const reference = stakeReference(stake.betId);
    if (progress.debit === 'taken' && !(error instanceof LudicError)) {
      // The database failed after the wallet took the stake, possibly during COMMIT itself,
      // whose outcome is then unknown: look before undoing.
      const committed = await findCommittedBet(deps.db, stake.betId);
      if (committed) return { status: 201, body: toBet(committed), replayed: false };
      if (committed === undefined) {
        deps.log.warn({ reference }, 'cannot tell whether the bet committed; the reconciler will decide');
        throw new LudicError('SERVICE_UNAVAILABLE', 'the bet could not be confirmed; retry with the same Idempotency-Key', undefined, { 'retry-after': '1' });
      }
    }
    if (progress.debit === 'unknown' || progress.debit === 'taken') await voidStake(deps, reference, requestId);
    throw translate(error, progress.debit);
  }
}

interface Stake {
  betId: string;
  amount: bigint;
  offeredOdds: bigint;
}

interface BetAttempt {
  bettor: Bettor;
  body: PlaceBetBody;
  stake: Stake;
  request: IdempotentRequest;
  found: BetPreconditions;
  /** When the transaction's first statement ran. */
  startedAt: number;
}

/** The rest of the bet transaction once the key is free; `progress` tells the caller how far the debit got. */
async function recordBetAndDebit(
  trx: Transaction<BetsDatabase>,
  deps: PlaceBetDeps,
  attempt: BetAttempt,
  progress: { debit: DebitState },
  requestId: string,
): Promise<BetRow> {
  const { bettor, body, stake, found, startedAt } = attempt;
  const event = found.event;
  if (!event) throw new LudicError('EVENT_NOT_FOUND', 'no such event');
  if (!isOpenForBets(event.status, event.starts_at, new Date())) {
    throw new LudicError('EVENT_NOT_OPEN', 'the event does not take bets now', { status: event.status, startsAt: event.starts_at.toISOString() });
  }
  const odds = oddsOf(event, body.selection);
  if (odds !== stake.offeredOdds) {
    throw new LudicError('ODDS_CHANGED', `the odds are now ${formatOdds(odds)}`, { odds: toEvent(event).odds, selection: body.selection });
  }
  const violation = checkStake(stake.amount, odds, deps.limits);
  if (violation) throw new LudicError(violation.code, violation.message, violation.details);

  const bet = pendingBetRow(
    {
      id: stake.betId,
      userId: bettor.userId,
      userName: bettor.name,
      eventId: event.id,
      eventName: eventName(event),
      selection: body.selection,
      odds,
      amount: stake.amount,
      potentialWin: potentialWin(stake.amount, odds),
    },
    found.now,
  );
  // The response is known before the debit: it is recorded with the bet, and both commit only
  // if the debit is taken (any failure below rolls them back together).
  const response = { status: 201, body: toBet(bet) };
  await insertBetWithRecord(trx, bet, deps.idempotency, idempotencyRecordValues(deps.idempotency, attempt.request, response));

  progress.debit = 'unknown';
  try {
    await deps.wallet.debit({ userId: bettor.userId, amount: stake.amount, reference: stakeReference(stake.betId) }, requestId);
  } catch (error) {
    if (error instanceof DebitRefused) progress.debit = 'refused';
    throw error;
  }
  progress.debit = 'taken';

  if (deps.fault === 'exit-after-debit') {
    deps.log.warn({ betId: stake.betId }, 'fault switch: dying between the debit and the commit');
    process.kill(process.pid, 'SIGKILL');
  }
  if (Date.now() - startedAt > deps.transactionDeadlineMs) {
    // Committing now could race the reconciler voiding this debit: give the bet up instead.
    throw new LudicError('WALLET_UNAVAILABLE', 'the wallet answered too late; nothing was taken');
  }
  if (deps.fault === 'fail-commit-after-debit') await loseConnection(trx, deps.pool);
  return bet;
}

/** The bet if it committed, null if it did not, undefined if the database cannot say. */
async function findCommittedBet(db: Kysely<BetsDatabase>, betId: string): Promise<BetRow | null | undefined> {
  try {
    return (await findBet(db, betId)) ?? null;
  } catch {
    return undefined;
  }
}

/** Maps what went wrong to what the client is told; nothing was taken by then (voided if needed). */
function translate(error: unknown, debit: DebitState): unknown {
  if (error instanceof DebitRefused) {
    if (error.code === 'INSUFFICIENT_FUNDS') return new LudicError('INSUFFICIENT_FUNDS', 'not enough money in the wallet');
    return new LudicError('WALLET_UNAVAILABLE', 'the wallet refused the stake; nothing was taken', { walletCode: error.code });
  }
  if (error instanceof WalletOutcomeUnknown) return new LudicError('WALLET_UNAVAILABLE', 'the wallet did not answer in time; nothing was taken');
  if (error instanceof LudicError) return error;
  if (debit !== 'none' || isDatabaseUnavailable(error)) {
    return new LudicError('SERVICE_UNAVAILABLE', 'the bet could not be recorded; nothing was taken', undefined, { 'retry-after': '1' });
  }
  return error;
}

/**
 * Best effort, once: if it fails too, the debit is left to the reconciler, which voids every
 * `bet:` debit without a committed bet once it is older than RECONCILE_AFTER_MS.
 */
async function voidStake(deps: PlaceBetDeps, reference: string, requestId: string): Promise<void> {
  try {
    await deps.wallet.voidDebit(reference, requestId);
  } catch (err) {
    deps.log.warn({ err, reference }, 'could not void the stake now; the reconciler will');
  }
}

/** Pool exhausted, PostgreSQL down or restarting: retryable, not a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' || // admin_shutdown
    code === '57P03' || // cannot_connect_now
    code === '53300' || // too_many_connections
    /timeout exceeded when trying to connect|Connection terminated/.test(message ?? '')
  );
}

/** Test fault: the server drops this transaction's connection, so its COMMIT fails. */
async function loseConnection(trx: Transaction<BetsDatabase>, pool: pg.Pool): Promise<void> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
  await pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
}
