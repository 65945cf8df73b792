import type { ErrorCode } from './errors.js';
import type { internalRoutes, publicRoutes } from './routes.js';

/**
 * What the OpenAPI documents say about each route beyond its schemas: the error codes the
 * route itself may answer with (the ones every route of its kind shares — validation,
 * authentication, role, Idempotency-Key — are added from the contract's `access` and
 * `idempotencyKey`), and an example request body. Keyed by route name, so adding a route
 * without documenting it does not compile.
 */
export interface RouteDocs {
  errors: readonly ErrorCode[];
  /** A valid request body (tests check it against the route's body schema). */
  bodyExample?: Record<string, unknown>;
  /** The success response's media type when it is not JSON. */
  mediaType?: string;
}

const EVENT_ID = '0192a4e6-4b7e-7c61-9f1a-3d5e8c2b7a90';

export const publicRouteDocs: Record<keyof typeof publicRoutes, RouteDocs> = {
  register: {
    errors: ['EMAIL_TAKEN', 'RATE_LIMITED', 'IDENTITY_UNAVAILABLE'],
    bodyExample: { email: 'player@example.com', password: 'correct-horse-battery', name: 'Alex' },
  },
  login: {
    errors: ['INVALID_CREDENTIALS', 'RATE_LIMITED', 'IDENTITY_UNAVAILABLE'],
    bodyExample: { email: 'player@example.com', password: 'correct-horse-battery' },
  },
  refresh: {
    errors: ['REFRESH_TOKEN_INVALID', 'SERVICE_UNAVAILABLE'],
    bodyExample: { refreshToken: 'rt_6QfKc1v0b2cWmS8yq3JzH4nL7xT9aPeD' },
  },
  me: { errors: ['RATE_LIMITED'] },
  logout: { errors: ['RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },
  getWallet: { errors: [] },
  listTransactions: { errors: [] },
  deposit: { errors: ['DEPOSIT_LIMIT_EXCEEDED', 'DEPOSITS_DISABLED'], bodyExample: { amount: '500.00' } },
  listEvents: { errors: [] },
  getEvent: { errors: ['EVENT_NOT_FOUND'] },
  placeBet: {
    errors: [
      'EVENT_NOT_FOUND',
      'EVENT_NOT_OPEN',
      'ODDS_CHANGED',
      'STAKE_TOO_LOW',
      'STAKE_TOO_HIGH',
      'PAYOUT_TOO_HIGH',
      'INSUFFICIENT_FUNDS',
      'RATE_LIMITED',
      'WALLET_UNAVAILABLE',
    ],
    bodyExample: { eventId: EVENT_ID, selection: 'home', odds: '2.10', amount: '100.00' },
  },
  listBets: { errors: [] },
  getBet: { errors: ['BET_NOT_FOUND'] },
  betStream: { errors: [], mediaType: 'text/event-stream' },
  leaderboard: { errors: [] },
  createEvent: {
    errors: [],
    bodyExample: {
      tournament: 'Premier League',
      round: 'Matchday 12',
      homeTeam: 'Arsenal',
      awayTeam: 'Chelsea',
      startsAt: '2030-05-18T16:30:00.000Z',
      odds: { home: '2.10', draw: '3.40', away: '3.25' },
    },
  },
  updateEvent: {
    errors: ['EVENT_NOT_FOUND', 'INVALID_STATUS_TRANSITION', 'EVENT_ALREADY_SETTLED'],
    bodyExample: { status: 'suspended' },
  },
  settleEvent: {
    errors: ['EVENT_NOT_FOUND', 'INVALID_STATUS_TRANSITION', 'EVENT_ALREADY_SETTLED'],
    bodyExample: { result: 'home', score: { home: 2, away: 1 } },
  },
  cancelEvent: { errors: ['EVENT_NOT_FOUND', 'EVENT_ALREADY_SETTLED'] },
};

export const internalRouteDocs: Record<keyof typeof internalRoutes, RouteDocs> = {
  debit: {
    errors: ['INSUFFICIENT_FUNDS', 'REFERENCE_CONFLICT', 'REFERENCE_VOIDED'],
    bodyExample: { userId: 'u7k2m9q4w1x8z3c', amount: '100.00', reference: `bet:${EVENT_ID}` },
  },
  credit: {
    errors: ['REFERENCE_CONFLICT'],
    bodyExample: { userId: 'u7k2m9q4w1x8z3c', amount: '210.00', reference: `payout:${EVENT_ID}`, type: 'bet_payout' },
  },
  void: { errors: [], bodyExample: { reference: `bet:${EVENT_ID}` } },
  entries: { errors: [] },
};
