import { formatMoney, parseMoney, parseOdds, potentialWin } from '@ludic/contracts';

/** What the bet slip shows for a stake typed by the player at the given odds. */
export type SlipQuote =
  | { kind: 'empty' }
  | { kind: 'invalid' }
  | { kind: 'ok'; stake: string; potentialWin: string };

/**
 * Pure slip arithmetic on integer minor units (the contracts' money helpers): a typed stake
 * "10.5" at odds "2.35" quotes a potential win of "24.67" (rounded down to the kopeck, as the
 * server pays). A comma is accepted as the decimal separator because Russian keyboards type one.
 */
export function quoteSlip(stakeInput: string, odds: string): SlipQuote {
  const text = stakeInput.trim().replace(',', '.');
  if (text === '') return { kind: 'empty' };
  const stake = parseMoney(text);
  const hundredths = parseOdds(odds);
  if (stake === null || stake === 0n || hundredths === null) return { kind: 'invalid' };
  return { kind: 'ok', stake: formatMoney(stake), potentialWin: formatMoney(potentialWin(stake, hundredths)) };
}

/** Whether the wallet covers the stake — a hint only; the server decides. */
export function coversStake(balance: string | undefined, stake: string): boolean {
  if (balance === undefined) return true;
  const available = parseMoney(balance);
  const wanted = parseMoney(stake);
  return available === null || wanted === null || wanted <= available;
}
