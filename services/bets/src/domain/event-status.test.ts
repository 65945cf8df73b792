import t from 'tap';
import type { EventStatus } from '@ludic/contracts';
import { decideStatusChange, isOpenForBets, type StatusChange } from './event-status.js';

const now = new Date('2030-06-01T12:00:00Z');
const future = { now, startsAt: new Date('2030-06-01T15:00:00Z') };
const past = { now, startsAt: new Date('2030-06-01T10:00:00Z') };
const statuses: EventStatus[] = ['upcoming', 'live', 'suspended', 'finished', 'cancelled'];
const set = (to: 'upcoming' | 'live' | 'suspended'): StatusChange => ({ kind: 'set', to });

t.test('the manual moves of api.md are allowed, every other one is refused', async (t) => {
  const allowed = new Set(['upcoming>suspended', 'suspended>upcoming', 'upcoming>live', 'live>suspended', 'suspended>live']);
  for (const from of statuses) {
    for (const to of ['upcoming', 'live', 'suspended'] as const) {
      const verdict = decideStatusChange(from, set(to), future);
      if (from === to) t.same(verdict, { ok: true, to }, `${from} → ${to} is a no-op`);
      else if (allowed.has(`${from}>${to}`)) t.same(verdict, { ok: true, to }, `${from} → ${to}`);
      else t.match(verdict, { ok: false, code: 'INVALID_STATUS_TRANSITION' }, `${from} → ${to} refused`);
    }
  }
});

t.test('a finished event never reopens and a live one never goes back to upcoming', async (t) => {
  t.match(decideStatusChange('finished', set('upcoming'), future), { ok: false, code: 'INVALID_STATUS_TRANSITION' });
  t.match(decideStatusChange('cancelled', set('live'), future), { ok: false, code: 'INVALID_STATUS_TRANSITION' });
  t.match(decideStatusChange('live', set('upcoming'), future), { ok: false, code: 'INVALID_STATUS_TRANSITION' });
});

t.test('settlement: from live or suspended, from upcoming only after kick-off, never twice', async (t) => {
  t.same(decideStatusChange('live', { kind: 'settle' }, future), { ok: true, to: 'finished' });
  t.same(decideStatusChange('suspended', { kind: 'settle' }, future), { ok: true, to: 'finished' });
  t.same(decideStatusChange('upcoming', { kind: 'settle' }, past), { ok: true, to: 'finished' });
  t.match(decideStatusChange('upcoming', { kind: 'settle' }, future), { ok: false, code: 'INVALID_STATUS_TRANSITION' });
  t.match(decideStatusChange('finished', { kind: 'settle' }, past), { ok: false, code: 'EVENT_ALREADY_SETTLED' });
  t.match(decideStatusChange('cancelled', { kind: 'settle' }, past), { ok: false, code: 'EVENT_ALREADY_SETTLED' });
});

t.test('cancellation: from anything not finished or cancelled', async (t) => {
  for (const from of ['upcoming', 'live', 'suspended'] as const) {
    t.same(decideStatusChange(from, { kind: 'cancel' }, future), { ok: true, to: 'cancelled' }, from);
  }
  t.match(decideStatusChange('finished', { kind: 'cancel' }, past), { ok: false, code: 'EVENT_ALREADY_SETTLED' });
  t.match(decideStatusChange('cancelled', { kind: 'cancel' }, past), { ok: false, code: 'EVENT_ALREADY_SETTLED' });
});

t.test('betting is open only while upcoming and before kick-off', async (t) => {
  t.equal(isOpenForBets('upcoming', future.startsAt, now), true);
  t.equal(isOpenForBets('upcoming', now, now), false, 'closes at the kick-off instant');
  t.equal(isOpenForBets('upcoming', past.startsAt, now), false);
  for (const status of ['live', 'suspended', 'finished', 'cancelled'] as const) {
    t.equal(isOpenForBets(status, future.startsAt, now), false, status);
  }
});
