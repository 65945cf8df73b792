import type { EventStatus } from '@ludic/contracts';

/**
 * What can happen to an event's status: an admin PATCH to a new status, settlement with a
 * result, cancellation, or the kick-off worker noticing the start time has passed.
 */
export type StatusChange =
  | { kind: 'set'; to: 'upcoming' | 'live' | 'suspended' }
  | { kind: 'settle' }
  | { kind: 'cancel' };

export type TransitionVerdict =
  | { ok: true; to: EventStatus }
  | { ok: false; code: 'INVALID_STATUS_TRANSITION' | 'EVENT_ALREADY_SETTLED'; message: string };

/** The manual moves of api.md: upcoming ⇄ suspended, upcoming → live, live ⇄ suspended. */
const MANUAL: Record<EventStatus, readonly EventStatus[]> = {
  upcoming: ['suspended', 'live'],
  suspended: ['upcoming', 'live'],
  live: ['suspended'],
  finished: [],
  cancelled: [],
};

const isClosedForGood = (status: EventStatus) => status === 'finished' || status === 'cancelled';

/**
 * The event state machine of api.md as a pure function. `finished` is reached only by
 * settlement (from live or suspended, or upcoming once kick-off has passed) and `cancelled`
 * only by cancellation (from anything not already finished or cancelled). Setting the status
 * an event already has is a no-op, so a repeated PATCH is harmless.
 */
export function decideStatusChange(current: EventStatus, change: StatusChange, context: { now: Date; startsAt: Date }): TransitionVerdict {
  if (change.kind === 'settle' || change.kind === 'cancel') {
    if (isClosedForGood(current)) {
      return { ok: false, code: 'EVENT_ALREADY_SETTLED', message: `the event is already ${current}` };
    }
    if (change.kind === 'cancel') return { ok: true, to: 'cancelled' };
    if (current === 'upcoming' && context.now < context.startsAt) {
      return { ok: false, code: 'INVALID_STATUS_TRANSITION', message: 'an event cannot be settled before kick-off' };
    }
    return { ok: true, to: 'finished' };
  }
  if (change.to === current) return { ok: true, to: current };
  if (!MANUAL[current].includes(change.to)) {
    return { ok: false, code: 'INVALID_STATUS_TRANSITION', message: `an event cannot go from ${current} to ${change.to}` };
  }
  return { ok: true, to: change.to };
}

/** Bets are taken only while the event is upcoming and has not kicked off. */
export function isOpenForBets(status: EventStatus, startsAt: Date, now: Date): boolean {
  return status === 'upcoming' && now < startsAt;
}
