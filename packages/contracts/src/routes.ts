import { Type, type TSchema } from '@sinclair/typebox';
import { ErrorEnvelope } from './errors.js';
import * as auth from './schemas/auth.js';
import * as bets from './schemas/bets.js';
import { IdempotencyHeaders, IdParams, PageQuery, Success } from './schemas/common.js';
import * as internal from './schemas/internal.js';
import * as wallet from './schemas/wallet.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * Who may call a route. `public`: anyone. `user`: a valid access token. `admin`: a token with
 * role admin. `service`: another Ludic service, with the internal token (never routed by nginx).
 */
export type Access = 'public' | 'user' | 'admin' | 'service';

export interface RouteSchema {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  headers?: TSchema;
  response: Record<number, TSchema>;
}

export interface RouteContract<S extends RouteSchema = RouteSchema> {
  method: HttpMethod;
  /** Fastify-style path: `/api/events/:id`. */
  url: string;
  access: Access;
  /** The route demands an `Idempotency-Key` header. */
  idempotencyKey?: boolean;
  service: 'auth-gateway' | 'wallet' | 'bets';
  summary: string;
  schema: S;
}

function route<S extends RouteSchema>(contract: RouteContract<S>): RouteContract<S> {
  return contract;
}

export const ServiceHealth = Type.Object(
  { status: Type.Literal('ok'), service: Type.String(), serverId: Type.String() },
  { additionalProperties: false },
);
export const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
    checks: Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('down')])),
  },
  { additionalProperties: false },
);

/** The public API (through nginx). */
export const publicRoutes = {
  register: route({
    service: 'auth-gateway', method: 'POST', url: '/api/auth/register', access: 'public',
    summary: 'Create an account and start a session',
    schema: { body: auth.RegisterBody, response: { 201: auth.Session } },
  }),
  login: route({
    service: 'auth-gateway', method: 'POST', url: '/api/auth/login', access: 'public',
    summary: 'Start a session with email and password',
    schema: { body: auth.LoginBody, response: { 200: auth.Session } },
  }),
  refresh: route({
    service: 'auth-gateway', method: 'POST', url: '/api/auth/refresh', access: 'public',
    summary: 'Trade a refresh token for a new pair; the old one is spent',
    schema: { body: auth.RefreshBody, response: { 200: auth.Session } },
  }),
  me: route({
    service: 'auth-gateway', method: 'GET', url: '/api/auth/me', access: 'user',
    summary: 'The signed-in user',
    schema: { response: { 200: auth.User } },
  }),
  logout: route({
    service: 'auth-gateway', method: 'POST', url: '/api/auth/logout', access: 'user',
    summary: "End this session everywhere: its access and refresh tokens stop working",
    schema: { response: { 200: Success } },
  }),

  getWallet: route({
    service: 'wallet', method: 'GET', url: '/api/wallet', access: 'user',
    summary: "The caller's wallet, created with the opening balance on first access",
    schema: { response: { 200: wallet.Wallet } },
  }),
  listTransactions: route({
    service: 'wallet', method: 'GET', url: '/api/wallet/transactions', access: 'user',
    summary: "The caller's ledger entries, newest first",
    schema: { querystring: PageQuery, response: { 200: Type.Array(wallet.Transaction) } },
  }),
  deposit: route({
    service: 'wallet', method: 'POST', url: '/api/wallet/deposit', access: 'user', idempotencyKey: true,
    summary: 'Demo top-up within the configured limits',
    schema: { headers: IdempotencyHeaders, body: wallet.DepositBody, response: { 201: wallet.DepositResult } },
  }),

  listEvents: route({
    service: 'bets', method: 'GET', url: '/api/events', access: 'public',
    summary: 'Upcoming, live and recently finished events, soonest kick-off first',
    schema: { querystring: bets.EventListQuery, response: { 200: Type.Array(bets.Event) } },
  }),
  getEvent: route({
    service: 'bets', method: 'GET', url: '/api/events/:id', access: 'public',
    summary: 'One event',
    schema: { params: IdParams, response: { 200: bets.Event } },
  }),
  placeBet: route({
    service: 'bets', method: 'POST', url: '/api/bets', access: 'user', idempotencyKey: true,
    summary: 'Place a bet at the odds the client was shown',
    schema: { headers: IdempotencyHeaders, body: bets.PlaceBetBody, response: { 201: bets.Bet } },
  }),
  listBets: route({
    service: 'bets', method: 'GET', url: '/api/bets', access: 'user',
    summary: "The caller's bets, newest first",
    schema: { querystring: bets.BetListQuery, response: { 200: Type.Array(bets.Bet) } },
  }),
  getBet: route({
    service: 'bets', method: 'GET', url: '/api/bets/:id', access: 'user',
    summary: "One of the caller's bets",
    schema: { params: IdParams, response: { 200: bets.Bet } },
  }),
  betStream: route({
    service: 'bets', method: 'GET', url: '/api/bets/stream', access: 'user',
    summary: "Server-Sent Events for the caller: `bet.settled` (the bet) and `wallet.updated` ({balance}); a comment line every 15 s",
    schema: { response: { 200: Type.String({ description: 'text/event-stream: `event: <type>` and `data: <JSON>` per notification' }) } },
  }),
  leaderboard: route({
    service: 'bets', method: 'GET', url: '/api/leaderboard', access: 'public',
    summary: 'Top 50 players by profit over settled bets',
    schema: { response: { 200: bets.Leaderboard } },
  }),
  createEvent: route({
    service: 'bets', method: 'POST', url: '/api/admin/events', access: 'admin',
    summary: 'Create an event with 1X2 odds',
    schema: { body: bets.CreateEventBody, response: { 201: bets.Event } },
  }),
  updateEvent: route({
    service: 'bets', method: 'PATCH', url: '/api/admin/events/:id', access: 'admin',
    summary: 'Change odds or status',
    schema: { params: IdParams, body: bets.UpdateEventBody, response: { 200: bets.Event } },
  }),
  settleEvent: route({
    service: 'bets', method: 'POST', url: '/api/admin/events/:id/settle', access: 'admin',
    summary: 'Record the result and settle every pending bet exactly once',
    schema: { params: IdParams, body: bets.SettleEventBody, response: { 200: bets.SettleResult } },
  }),
  cancelEvent: route({
    service: 'bets', method: 'POST', url: '/api/admin/events/:id/cancel', access: 'admin',
    summary: 'Cancel the event and refund every pending bet exactly once',
    schema: { params: IdParams, response: { 200: bets.CancelResult } },
  }),
} as const;

/** Service-to-service routes: `x-internal-token` required, never routed by nginx. */
export const internalRoutes = {
  debit: route({
    service: 'wallet', method: 'POST', url: '/internal/wallet/debit', access: 'service',
    summary: 'Take a stake; idempotent by reference',
    schema: { body: internal.DebitBody, response: { 200: internal.MovementResult } },
  }),
  credit: route({
    service: 'wallet', method: 'POST', url: '/internal/wallet/credit', access: 'service',
    summary: 'Pay out, refund or adjust; idempotent by reference',
    schema: { body: internal.CreditBody, response: { 200: internal.MovementResult } },
  }),
  void: route({
    service: 'wallet', method: 'POST', url: '/internal/wallet/void', access: 'service',
    summary: 'Reverse a debit once, or leave a tombstone that refuses it',
    schema: { body: internal.VoidBody, response: { 200: internal.VoidResult } },
  }),
  entries: route({
    service: 'wallet', method: 'GET', url: '/internal/wallet/entries', access: 'service',
    summary: 'Ledger entries by reference or prefix, for reconciliation',
    schema: { querystring: internal.EntriesQuery, response: { 200: Type.Array(internal.LedgerEntry) } },
  }),
} as const;

/** Every service answers these itself; through nginx only `/health` is routed. */
export const operationalRoutes = {
  health: route({
    service: 'auth-gateway', method: 'GET', url: '/health', access: 'public',
    summary: 'The process is alive', schema: { response: { 200: ServiceHealth } },
  }),
  ready: route({
    service: 'auth-gateway', method: 'GET', url: '/ready', access: 'public',
    summary: 'PostgreSQL, Redis and required upstreams are reachable',
    schema: { response: { 200: Readiness, 503: Readiness } },
  }),
} as const;

/** Error responses every route may give, in the shared envelope. */
export const errorResponses = { '4xx': ErrorEnvelope, '5xx': ErrorEnvelope } as const;
