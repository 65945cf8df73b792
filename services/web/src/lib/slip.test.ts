import t from 'tap';
import { coversStake, quoteSlip } from './slip.js';

t.test('potential win is stake × odds rounded down to the kopeck, in integers', async (t) => {
  t.same(quoteSlip('100', '2.50'), { kind: 'ok', stake: '100.00', potentialWin: '250.00' });
  t.same(quoteSlip('10.5', '2.35'), { kind: 'ok', stake: '10.50', potentialWin: '24.67' }, '24.675 rounds down');
  t.same(quoteSlip('0.07', '1.55'), { kind: 'ok', stake: '0.07', potentialWin: '0.10' }, 'no float noise (0.1085)');
  t.same(quoteSlip('999999999999.99', '1000.00'), { kind: 'ok', stake: '999999999999.99', potentialWin: '999999999999990.00' }, 'beyond 2^53 stays exact');
  t.same(quoteSlip(' 25,50 ', '3.10'), { kind: 'ok', stake: '25.50', potentialWin: '79.05' }, 'a decimal comma and spaces are accepted');
});

t.test('what the slip refuses before asking the server', async (t) => {
  t.same(quoteSlip('', '2.50'), { kind: 'empty' });
  t.same(quoteSlip('   ', '2.50'), { kind: 'empty' });
  for (const stake of ['0', '0.00', '-5', '1e3', '10.555', 'abc', '01', '1 000', '10.']) {
    t.same(quoteSlip(stake, '2.50'), { kind: 'invalid' }, `"${stake}"`);
  }
  t.same(quoteSlip('10', '0.99'), { kind: 'invalid' }, 'odds below 1.01 cannot be quoted');
});

t.test('balance hint compares minor units', async (t) => {
  t.equal(coversStake('100.00', '100.00'), true);
  t.equal(coversStake('100.00', '100.01'), false);
  t.equal(coversStake('99999999999.99', '99999999999.98'), true, 'large amounts compare exactly');
  t.equal(coversStake(undefined, '5.00'), true, 'unknown balance: let the server decide');
});
