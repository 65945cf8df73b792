import { randomUUID } from 'node:crypto';
import { formatMoney, parseMoney, type CreditType, type LedgerEntry, type Transaction, type Wallet } from '@ludic/contracts';
import { LudicError } from '@ludic/service-kit';
import {
  addToBalance,
  findOwnedEntry,
  findWalletByUser,
  findTombstone,
  insertEntry,
  insertTombstone,
  insertWalletIfMissing,
  lockReference,
  lockWalletByUser,
  sumRecentDeposits,
  takeStake,
  type EntryRow,
  type OwnedEntryRow,
  type Db,
  type Trx,
  type WalletRow,
} from './repository.js';

/**
 * Every way money moves in a wallet. Each function runs inside the caller's transaction and
 * writes the balance change and its ledger entry together, so the sum of a wallet's entries
 * is its balance at every commit.
 */

export interface WalletSettings {
  currency: string;
  openingBalance: bigint;
}

export interface DepositLimits {
  perDeposit: bigint;
  perDay: bigint;
}

/** The outcome of a movement; `moved` is false for a replay of an earlier, identical request. */
export interface Movement {
  userId: string;
  entry: EntryRow;
  balance: bigint;
  moved: boolean;
}

/** Reference kinds the wallet writes itself; callers may not use them. */
const RESERVED_REFERENCE_KINDS = new Set(['opening', 'deposit', 'void']);

export function reversalReference(reference: string): string {
  return `void:${reference}`;
}

function validationError(field: string, message: string): LudicError {
  return new LudicError('VALIDATION_ERROR', `invalid ${field.split('/')[0]}`, { fields: [{ field, message }] });
}

/** A positive amount in minor units; the schema has already checked the format, zero is refused here. */
export function positiveAmount(text: string, field = 'body/amount'): bigint {
  const minor = parseMoney(text);
  if (minor === null) throw validationError(field, 'must be a decimal amount with at most two decimals');
  if (minor === 0n) throw validationError(field, 'must be greater than 0.00');
  return minor;
}

export function assertCallerReference(reference: string, field = 'body/reference'): void {
  const kind = reference.slice(0, reference.indexOf(':'));
  if (RESERVED_REFERENCE_KINDS.has(kind)) throw validationError(field, `the reference kind "${kind}" is reserved for the wallet itself`);
}

/**
 * Creates the user's wallet with its opening entry unless it exists. Safe under concurrency:
 * a second creator waits on the unique user_id and then does nothing.
 */
export async function ensureWallet(trx: Trx, userId: string, settings: WalletSettings): Promise<void> {
  const created = await insertWalletIfMissing(trx, userId, settings.openingBalance, settings.currency);
  if (created) {
    await insertEntry(trx, {
      walletId: created.id,
      type: 'opening',
      amount: settings.openingBalance,
      balanceAfter: settings.openingBalance,
      reference: `opening:${created.id}`,
    });
  }
}

/** Runs a balance update, creating the wallet first if the update found none. */
async function withWallet<T>(trx: Trx, userId: string, settings: WalletSettings, update: () => Promise<T | undefined>): Promise<T | undefined> {
  const first = await update();
  if (first !== undefined) return first;
  await ensureWallet(trx, userId, settings);
  // A fresh statement: it sees the wallet whether this transaction or a concurrent one created it.
  return update();
}

function sameRequest(entry: OwnedEntryRow, userId: string, type: string, amount: bigint): boolean {
  return entry.user_id === userId && entry.type === type && entry.amount === amount;
}

function replayOrConflict(entry: OwnedEntryRow, userId: string, type: string, amount: bigint): Movement {
  if (!sameRequest(entry, userId, type, amount)) {
    throw new LudicError('REFERENCE_CONFLICT', `reference ${entry.reference} was already used for another movement`);
  }
  return { userId, entry, balance: entry.balance_after, moved: false };
}

/**
 * Takes a stake: refused if the reference was voided first, replayed if already taken. One
 * statement in its own transaction (`wallet.take_stake`). A user without a wallet gets it
 * opened in the same transaction as the debit (reference lock first, as in every movement), so
 * a refused first debit leaves nothing behind.
 */
export async function takeStakeFromWallet(db: Db, request: { userId: string; amount: bigint; reference: string }, settings: WalletSettings): Promise<Movement> {
  const first = await takeStake(db, request);
  if (first.outcome !== 'no_wallet') return stakeMovement(request, first);
  return db.transaction().execute(async (trx) => {
    await lockReference(trx, request.reference);
    await ensureWallet(trx, request.userId, settings);
    return stakeMovement(request, await takeStake(trx, request));
  });
}

function stakeMovement(request: { userId: string; amount: bigint; reference: string }, taken: Awaited<ReturnType<typeof takeStake>>): Movement {
  const { userId, amount, reference } = request;
  const { outcome, entry } = taken;
  if (outcome === 'voided') throw new LudicError('REFERENCE_VOIDED', `reference ${reference} was voided; its debit is refused`);
  if (outcome === 'insufficient') throw new LudicError('INSUFFICIENT_FUNDS', 'the balance does not cover this amount');
  if (outcome === 'replay' && entry) return replayOrConflict(entry, userId, 'bet_stake', -amount);
  if (outcome === 'taken' && entry) return { userId, entry, balance: entry.balance_after, moved: true };
  throw new Error(`wallet.take_stake answered ${outcome} for ${reference}`);
}

/** Pays out, refunds or adjusts; replayed if already done. */
export async function creditWallet(
  trx: Trx,
  request: { userId: string; amount: bigint; reference: string; type: CreditType },
  settings: WalletSettings,
): Promise<Movement> {
  const { userId, amount, reference, type } = request;
  await lockReference(trx, reference);
  const existing = await findOwnedEntry(trx, reference);
  if (existing) return replayOrConflict(existing, userId, type, amount);
  if (await findTombstone(trx, reference)) {
    throw new LudicError('REFERENCE_CONFLICT', `reference ${reference} was voided; it cannot carry a credit`);
  }
  const wallet = await withWallet(trx, userId, settings, () => addToBalance(trx, { userId }, amount));
  if (!wallet) throw new Error(`wallet of ${userId} vanished inside its transaction`);
  const entry = await insertEntry(trx, { walletId: wallet.id, type, amount, balanceAfter: wallet.balance, reference });
  return { userId, entry, balance: wallet.balance, moved: true };
}

export interface VoidOutcome {
  voided: boolean;
  /** Set when this call reversed the debit (not on a repeat). */
  reversal?: Movement;
}

/**
 * Reverses the debit of `reference` exactly once, or, when no debit exists yet, leaves a
 * tombstone that refuses it later. The tombstone is written either way, so a repeat returns the
 * same answer and never reverses twice.
 */
export async function voidDebit(trx: Trx, reference: string): Promise<VoidOutcome> {
  await lockReference(trx, reference);
  const tombstone = await findTombstone(trx, reference);
  if (tombstone) return { voided: tombstone.reversal_entry_id !== null };
  const debit = await findOwnedEntry(trx, reference);
  if (!debit) {
    await insertTombstone(trx, reference, null);
    return { voided: false };
  }
  if (debit.type !== 'bet_stake') {
    throw new LudicError('REFERENCE_CONFLICT', `reference ${reference} is a ${debit.type}, not a debit; only debits can be voided`);
  }
  const refund = -debit.amount;
  const wallet = await addToBalance(trx, { walletId: debit.wallet_id }, refund);
  if (!wallet) throw new Error(`wallet ${debit.wallet_id} of entry ${debit.id} is missing`);
  const entry = await insertEntry(trx, {
    walletId: wallet.id,
    type: 'bet_stake_reversal',
    amount: refund,
    balanceAfter: wallet.balance,
    reference: reversalReference(reference),
  });
  await insertTombstone(trx, reference, entry.id);
  return { voided: true, reversal: { userId: wallet.user_id, entry, balance: wallet.balance, moved: true } };
}

/**
 * The demo top-up. The wallet row is locked first, so concurrent deposits of one user are
 * checked against the daily limit one after the other and can never exceed it together.
 */
export async function depositToWallet(
  trx: Trx,
  request: { userId: string; amount: bigint },
  settings: WalletSettings,
  limits: DepositLimits,
): Promise<Movement> {
  const { userId, amount } = request;
  if (amount > limits.perDeposit) {
    throw new LudicError('DEPOSIT_LIMIT_EXCEEDED', `a single deposit may be at most ${formatMoney(limits.perDeposit)}`, {
      limit: formatMoney(limits.perDeposit),
    });
  }
  await ensureWallet(trx, userId, settings);
  const wallet = await lockWalletByUser(trx, userId);
  if (!wallet) throw new Error(`wallet of ${userId} vanished inside its transaction`);
  const recent = await sumRecentDeposits(trx, wallet.id);
  if (recent + amount > limits.perDay) {
    throw new LudicError('DEPOSIT_LIMIT_EXCEEDED', `deposits may total at most ${formatMoney(limits.perDay)} in 24 hours`, {
      dailyLimit: formatMoney(limits.perDay),
      depositedLast24h: formatMoney(recent),
    });
  }
  const updated = await addToBalance(trx, { walletId: wallet.id }, amount);
  if (!updated) throw new Error(`wallet ${wallet.id} vanished while locked`);
  const entry = await insertEntry(trx, {
    walletId: wallet.id,
    type: 'deposit',
    amount,
    balanceAfter: updated.balance,
    reference: `deposit:${randomUUID()}`,
  });
  return { userId, entry, balance: updated.balance, moved: true };
}

/** The user's wallet, created with its opening entry on first access. */
export async function openWallet(trx: Trx, userId: string, settings: WalletSettings): Promise<WalletRow> {
  await ensureWallet(trx, userId, settings);
  const wallet = await findWalletByUser(trx, userId);
  if (!wallet) throw new Error(`wallet of ${userId} vanished inside its transaction`);
  return wallet;
}

export function toWallet(row: WalletRow): Wallet {
  return {
    id: row.id,
    userId: row.user_id,
    balance: formatMoney(row.balance),
    currency: row.currency,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toTransaction(row: EntryRow): Transaction {
  return {
    id: row.id,
    type: row.type,
    amount: formatMoney(row.amount),
    balanceAfter: formatMoney(row.balance_after),
    reference: row.reference,
    createdAt: row.created_at.toISOString(),
  };
}

export function toLedgerEntry(row: OwnedEntryRow): LedgerEntry {
  return { ...toTransaction(row), walletId: row.wallet_id, userId: row.user_id };
}
