import { formatMoney, parseMoney, potentialWin } from '@ludic/contracts';

export interface StakeLimits {
  minStake: bigint;
  maxStake: bigint;
  maxPayout: bigint;
}

export type LimitViolation =
  | { code: 'STAKE_TOO_LOW' | 'STAKE_TOO_HIGH' | 'PAYOUT_TOO_HIGH'; message: string; details: Record<string, string> }
  | undefined;

export function stakeLimitsFrom(config: { MIN_STAKE: string; MAX_STAKE: string; MAX_PAYOUT: string }): StakeLimits {
  const read = (name: string, text: string) => {
    const value = parseMoney(text);
    if (value === null) throw new Error(`${name} is not an amount: ${text}`);
    return value;
  };
  const limits = {
    minStake: read('MIN_STAKE', config.MIN_STAKE),
    maxStake: read('MAX_STAKE', config.MAX_STAKE),
    maxPayout: read('MAX_PAYOUT', config.MAX_PAYOUT),
  };
  if (limits.minStake <= 0n || limits.minStake > limits.maxStake) throw new Error('MIN_STAKE must be positive and at most MAX_STAKE');
  return limits;
}

/** Checks a stake at the given odds against the limits; undefined when it is acceptable. */
export function checkStake(amount: bigint, odds: bigint, limits: StakeLimits): LimitViolation {
  if (amount < limits.minStake) {
    return { code: 'STAKE_TOO_LOW', message: `the smallest stake is ${formatMoney(limits.minStake)}`, details: { minStake: formatMoney(limits.minStake) } };
  }
  if (amount > limits.maxStake) {
    return { code: 'STAKE_TOO_HIGH', message: `the largest stake is ${formatMoney(limits.maxStake)}`, details: { maxStake: formatMoney(limits.maxStake) } };
  }
  const payout = potentialWin(amount, odds);
  if (payout > limits.maxPayout) {
    return {
      code: 'PAYOUT_TOO_HIGH',
      message: `the largest potential win is ${formatMoney(limits.maxPayout)}`,
      details: { maxPayout: formatMoney(limits.maxPayout), potentialWin: formatMoney(payout) },
    };
  }
  return undefined;
}
