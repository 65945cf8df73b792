import t from 'tap';
import { formatMoney, formatOdds, parseMoney, parseOdds, potentialWin, MAX_MINOR_UNITS } from './money.js';

t.test('parseMoney accepts canonical and short decimal strings', async (t) => {
  t.equal(parseMoney('100.00'), 10000n);
  t.equal(parseMoney('100.5'), 10050n);
  t.equal(parseMoney('100'), 10000n);
  t.equal(parseMoney('0.01'), 1n);
  t.equal(parseMoney('0'), 0n);
  t.equal(parseMoney('999999999999.99'), MAX_MINOR_UNITS);
});

t.test('parseMoney rejects everything that is not a plain amount', async (t) => {
  for (const bad of ['', '-1', '+1', '1.001', '1e3', 'NaN', 'Infinity', ' 1', '1 ', '01', '00.10', '.5', '5.',
    '1,00', '0x10', '99999999999999999999', '1000000000000.00', '١٢٣', '1.0\n']) {
    t.equal(parseMoney(bad), null, JSON.stringify(bad));
  }
  t.equal(parseMoney(10 as unknown as string), null, 'numbers are not strings');
});

t.test('formatMoney prints exactly two decimals, with a sign for negatives', async (t) => {
  t.equal(formatMoney(0n), '0.00');
  t.equal(formatMoney(5n), '0.05');
  t.equal(formatMoney(10050n), '100.50');
  t.equal(formatMoney(-5n), '-0.05');
  t.equal(formatMoney(-123456n), '-1234.56');
  t.equal(formatMoney(MAX_MINOR_UNITS), '999999999999.99');
});

t.test('money round-trips for a sweep of values', async (t) => {
  for (let minor = 0n; minor < 100_000n; minor += 7n) {
    const text = formatMoney(minor);
    if (parseMoney(text) !== minor) t.fail(`round trip broke at ${minor}`);
  }
  t.pass('round trip holds');
});

t.test('odds are bounded and formatted', async (t) => {
  t.equal(parseOdds('2.50'), 250n);
  t.equal(parseOdds('2.5'), 250n);
  t.equal(parseOdds('1.01'), 101n);
  t.equal(parseOdds('1000'), 100000n);
  for (const bad of ['1.00', '1', '0.5', '1000.01', '2.505', '-2', 'abc', '']) t.equal(parseOdds(bad), null, bad);
  t.equal(formatOdds(185n), '1.85');
});

t.test('potentialWin rounds down to the minor unit in integers', async (t) => {
  t.equal(potentialWin(10000n, 250n), 25000n, '100.00 at 2.50');
  t.equal(potentialWin(7n, 155n), 10n, '0.07 at 1.55 = 0.1085 → 0.10');
  t.equal(potentialWin(333n, 333n), 1108n, '3.33 at 3.33 = 11.0889 → 11.08');
  t.equal(potentialWin(1n, 101n), 1n);
  t.equal(potentialWin(MAX_MINOR_UNITS, 100000n), MAX_MINOR_UNITS * 1000n, 'no precision lost at the edges');
  t.throws(() => potentialWin(-1n, 200n));
});
