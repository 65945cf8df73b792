import type { MessageKey } from '../i18n/en';
import { dictionaries, translate } from '../i18n/translate';
import { displayMoney, type Lang } from './format';

/** Detail fields that carry money and are shown formatted. */
const moneyDetails = ['minStake', 'maxStake', 'maxPayout', 'potentialWin', 'limit', 'dailyLimit', 'depositedLast24h'];

/**
 * The player-facing sentence for an API error code (clients branch on `code`, never on the
 * server's message), with limits from the error's details filled in.
 */
export function describeError(lang: Lang, code: string, details: Record<string, unknown> = {}): string {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(details)) {
    if (typeof value === 'string') vars[name] = moneyDetails.includes(name) ? displayMoney(value, undefined, lang) : value;
  }
  if (code === 'DEPOSIT_LIMIT_EXCEEDED' && vars.dailyLimit) {
    return translate(lang, 'error.DEPOSIT_LIMIT_DAILY', { limit: vars.dailyLimit, used: vars.depositedLast24h ?? '0' });
  }
  const key = `error.${code}` as MessageKey;
  if (key in dictionaries[lang]) return translate(lang, key, vars);
  return translate(lang, 'error.unknown', { code });
}
