/**
 * Display helpers. Amounts stay strings from the API ("12345.60"); grouping is done on the
 * digits so no amount ever passes through a floating-point number.
 */
export type Lang = 'en' | 'ru';

export function displayMoney(amount: string, currency: string | undefined, lang: Lang): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = '00'] = (negative ? amount.slice(1) : amount).split('.');
  // Russian groups with a (narrow) no-break space and writes a decimal comma.
  const group = lang === 'ru' ? '\u202f' : ',';
  const decimal = lang === 'ru' ? ',' : '.';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const number = `${negative ? '−' : ''}${grouped}${decimal}${fraction.padEnd(2, '0')}`;
  return currency ? `${number}\u00a0${currencySymbol(currency)}` : number;
}

function currencySymbol(currency: string): string {
  return currency === 'RUB' ? '₽' : currency;
}

export function displayDateTime(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
