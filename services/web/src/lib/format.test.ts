import t from 'tap';
import { describeError } from './errors.js';
import { displayMoney } from './format.js';
import { validateEmail, validateName, validatePassword } from './validation.js';

t.test('money is grouped on its digits, per language', async (t) => {
  t.equal(displayMoney('1234567.50', 'RUB', 'en'), '1,234,567.50\u00a0₽');
  t.equal(displayMoney('1234567.50', 'RUB', 'ru'), '1\u202f234\u202f567,50\u00a0₽');
  t.equal(displayMoney('-25.00', 'EUR', 'en'), '−25.00\u00a0EUR');
  t.equal(displayMoney('999999999999999.99', undefined, 'en'), '999,999,999,999,999.99', 'no float rounding');
  t.equal(displayMoney('0.05', undefined, 'en'), '0.05');
});

t.test('errors are explained by code, with limits from the details', async (t) => {
  t.equal(describeError('en', 'STAKE_TOO_LOW', { minStake: '1.00' }), 'The smallest stake is 1.00.');
  t.equal(describeError('ru', 'STAKE_TOO_HIGH', { maxStake: '10000.00' }), 'Максимальная ставка — 10\u202f000,00.');
  t.match(describeError('en', 'PAYOUT_TOO_HIGH', { maxPayout: '100000.00', potentialWin: '150000.00' }), /100,000\.00.*150,000\.00/);
  t.equal(describeError('en', 'DEPOSIT_LIMIT_EXCEEDED', { limit: '10000.00' }), 'That is over the top-up limit (10,000.00). Try a smaller amount.');
  t.match(describeError('en', 'DEPOSIT_LIMIT_EXCEEDED', { dailyLimit: '50000.00', depositedLast24h: '45000.00' }), /50,000\.00 per 24 hours; you have added 45,000\.00/);
  t.equal(describeError('en', 'INVALID_CREDENTIALS'), 'The email or password is not right.');
  t.equal(describeError('en', 'SOMETHING_NEW'), 'Something went wrong (SOMETHING_NEW). Try again.', 'an unknown code still says something');
});

t.test('form validation mirrors the auth contract', async (t) => {
  t.ok(validateEmail(' player@example.com '));
  for (const bad of ['', 'player', 'a@', '@b', 'a b@c.d']) t.notOk(validateEmail(bad), `"${bad}"`);
  t.ok(validatePassword('12345678'));
  t.notOk(validatePassword('1234567'), 'too short');
  t.ok(validatePassword('x'.repeat(71)));
  t.notOk(validatePassword('x'.repeat(72)), 'past the bcrypt limit');
  t.ok(validateName('Ann'));
  t.notOk(validateName('   '), 'blank');
  t.notOk(validateName('x'.repeat(101)));
});
