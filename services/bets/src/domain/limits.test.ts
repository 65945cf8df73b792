import t from 'tap';
import { checkStake, stakeLimitsFrom } from './limits.js';

const limits = stakeLimitsFrom({ MIN_STAKE: '1.00', MAX_STAKE: '10000.00', MAX_PAYOUT: '100000.00' });

t.test('stakes inside the limits pass, at the edges included', async (t) => {
  t.equal(checkStake(100n, 250n, limits), undefined, '1.00 at 2.50');
  t.equal(checkStake(1_000_000n, 1000n, limits), undefined, '10,000.00 at 10.00 pays exactly 100,000.00');
});

t.test('each limit has its own code', async (t) => {
  t.match(checkStake(99n, 250n, limits), { code: 'STAKE_TOO_LOW', details: { minStake: '1.00' } });
  t.match(checkStake(0n, 250n, limits), { code: 'STAKE_TOO_LOW' });
  t.match(checkStake(1_000_001n, 150n, limits), { code: 'STAKE_TOO_HIGH', details: { maxStake: '10000.00' } });
  t.match(checkStake(1_000_000n, 1001n, limits), { code: 'PAYOUT_TOO_HIGH', details: { maxPayout: '100000.00', potentialWin: '100100.00' } });
});

t.test('the payout limit uses the rounded-down potential win', async (t) => {
  const tight = stakeLimitsFrom({ MIN_STAKE: '0.01', MAX_STAKE: '100.00', MAX_PAYOUT: '0.10' });
  t.equal(checkStake(7n, 155n, tight), undefined, '0.07 × 1.55 = 0.1085 → 0.10 is allowed');
  t.match(checkStake(7n, 158n, tight), { code: 'PAYOUT_TOO_HIGH' }, '0.07 × 1.58 = 0.1106 → 0.11');
});

t.test('nonsensical limits stop the service at start', async (t) => {
  t.throws(() => stakeLimitsFrom({ MIN_STAKE: '0', MAX_STAKE: '1.00', MAX_PAYOUT: '1.00' }));
  t.throws(() => stakeLimitsFrom({ MIN_STAKE: '5.00', MAX_STAKE: '1.00', MAX_PAYOUT: '1.00' }));
});
