/**
 * Money and odds travel as decimal strings ("100.00", "2.50") and are computed as integer
 * minor units (bigint). Nothing here ever goes through a floating-point number.
 */

/** Minor units per major unit (kopecks per rouble, cents per euro). */
export const MINOR_PER_MAJOR = 100n;

/** Odds are kept in hundredths: "2.50" is 250n. */
export const ODDS_SCALE = 100n;

/** The largest amount the API accepts or prints: 999,999,999,999.99 (fits bigint columns easily). */
export const MAX_MINOR_UNITS = 99_999_999_999_999n;

/** Odds are between 1.01 and 1000.00. */
export const MIN_ODDS = 101n;
export const MAX_ODDS = 100_000n;

/**
 * A money amount as clients may send it: digits, optionally a point and one or two decimals.
 * No sign, no exponent, no leading zeros, no spaces. Signs are implied by the operation.
 */
export const MONEY_PATTERN = '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$';
/** Odds as clients may send them: at most four integer digits and two decimals. */
export const ODDS_PATTERN = '^(0|[1-9][0-9]{0,3})(\\.[0-9]{1,2})?$';
/** A signed amount as the API prints it: always exactly two decimals. */
export const SIGNED_MONEY_PATTERN = '^-?(0|[1-9][0-9]*)\\.[0-9]{2}$';

const moneyRe = new RegExp(MONEY_PATTERN);
const oddsRe = new RegExp(ODDS_PATTERN);

function parseDecimal(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** "100.5" → 10050n. Returns null for anything that is not a well-formed non-negative amount. */
export function parseMoney(text: string): bigint | null {
  if (typeof text !== 'string' || !moneyRe.test(text)) return null;
  const minor = parseDecimal(text);
  return minor > MAX_MINOR_UNITS ? null : minor;
}

/** 10050n → "100.50"; -5n → "-0.05". */
export function formatMoney(minor: bigint): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const whole = abs / MINOR_PER_MAJOR;
  const fraction = (abs % MINOR_PER_MAJOR).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** "2.5" → 250n. Returns null when malformed or outside [1.01, 1000.00]. */
export function parseOdds(text: string): bigint | null {
  if (typeof text !== 'string' || !oddsRe.test(text)) return null;
  const hundredths = parseDecimal(text);
  return hundredths < MIN_ODDS || hundredths > MAX_ODDS ? null : hundredths;
}

/** 250n → "2.50". */
export function formatOdds(hundredths: bigint): string {
  return formatMoney(hundredths);
}

/**
 * What a winning bet pays back (stake included): stake × odds, rounded down to the minor
 * unit. Integer arithmetic only, so 0.07 × 1.55 is 0.10 and never 0.1085000001.
 */
export function potentialWin(stakeMinor: bigint, oddsHundredths: bigint): bigint {
  if (stakeMinor < 0n || oddsHundredths < 0n) throw new RangeError('stake and odds must be non-negative');
  return (stakeMinor * oddsHundredths) / ODDS_SCALE;
}
