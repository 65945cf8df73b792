/**
 * Hostile input against every public route, through nginx, against the real services:
 * property-based (fast-check) bodies, query strings, path ids and headers. For every request:
 * never a 5xx, every error in the JSON envelope, and a rejected request writes nothing (the
 * row counts of every table and the money in the wallets are unchanged).
 */
import http from 'node:http';
import fc from 'fast-check';
import pg from 'pg';
import t from 'tap';
import { publicRoutes, type RouteContract } from '@ludic/contracts';
import {
  hostileAuthorization,
  hostileContentType,
  hostileHeaderValue,
  hostileIdSegment,
  hostileJsonValue,
  hostileQuery,
  nearValidBody,
  pathologicalBody,
  signAccessToken,
} from './hostile-input.js';
import { generateJwtSigningKey } from './secrets.js';
import { startTestStack } from './testkit.js';
import { waitFor } from './wait.js';

/** Runs per route: 17 routes × this, plus one request per run, stays well under a minute. */
const RUNS_PER_ROUTE = 45;

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Sends the request exactly as generated (raw path, raw body); a stream answer is cut short. */
function send(base: string, request: HostileRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${request.path}`, { method: request.method, headers: request.headers, agent: false }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, contentType, body: '' });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${request.method} ${request.path.slice(0, 200)} got no answer in 15 s`)));
    req.end(request.body === undefined ? undefined : Buffer.from(request.body, 'utf8'));
  });
}

/** Why the answer is not acceptable, or undefined: no 5xx, errors in the envelope. */
function problemWith(answer: Answer): string | undefined {
  if (answer.status === 0 || answer.status >= 500) return `status ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType.startsWith('application/json')) return `${answer.status} with content-type "${answer.contentType}": ${answer.body.slice(0, 200)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return `${answer.status} body is not JSON: ${answer.body.slice(0, 200)}`;
  }
  const envelope = parsed as Record<string, unknown>;
  if (envelope.statusCode !== answer.status || typeof envelope.code !== 'string' || typeof envelope.error !== 'string' || typeof envelope.message !== 'string') {
    return `${answer.status} is not the error envelope: ${answer.body.slice(0, 300)}`;
  }
  return undefined;
}

t.test('hostile input through nginx: no 5xx, always the envelope, nothing written on rejection', async (t) => {
  const highLimits = { USER_RATE_LIMIT_MAX: '1000000' };
  const stack = await startTestStack(t, {
    env: { 'auth-gateway': { ...highLimits, LOGIN_RATE_LIMIT_MAX: '1000000' }, wallet: highLimits, bets: highLimits },
  });
  const db = new pg.Client({ connectionString: stack.database.url });
  await db.connect();
  t.teardown(() => db.end());

  const call = async (method: string, path: string, token?: string, body?: unknown, idempotencyKey?: string) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const answer = await send(stack.url, { method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: answer.status, body: answer.body ? (JSON.parse(answer.body) as Record<string, any>) : {} };
  };
  const register = async (email: string) => {
    const res = await call('POST', '/api/auth/register', undefined, { email, password: 'hostile-pass-1', name: 'Hostile Tester' });
    t.equal(res.status, 201, `register ${email}`);
    return res.body as { token: string; refreshToken: string };
  };

  // The world the requests aim at: a funded player with a bet, an admin, and two events (one
  // the player bets on, one the admin routes may legitimately change without moving money).
  const player = await register('hostile-player@ludic.test');
  const admin = await register(stack.adminEmails);
  const spareSession = await register('hostile-refresh@ludic.test');
  const startsAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  const eventBody = { tournament: 'Hostile Cup', round: 'Final', homeTeam: 'Home FC', awayTeam: 'Away FC', startsAt, odds: { home: '2.10', draw: '3.20', away: '3.50' } };
  const betEvent = await call('POST', '/api/admin/events', admin.token, eventBody);
  t.equal(betEvent.status, 201, 'event to bet on');
  const adminEvent = await call('POST', '/api/admin/events', admin.token, { ...eventBody, round: 'Replay' });
  t.equal(adminEvent.status, 201, 'event for the admin routes');
  t.equal((await call('GET', '/api/wallet', player.token)).status, 200, 'wallet opened');
  t.equal((await call('POST', '/api/wallet/deposit', player.token, { amount: '100.00' }, 'hostile-deposit-1')).status, 201, 'deposit');
  const validBet = { eventId: betEvent.body.id, selection: 'home', odds: '2.10', amount: '1.00' };
  const bet = await call('POST', '/api/bets', player.token, validBet, 'hostile-bet-1');
  t.equal(bet.status, 201, 'bet placed');

  // A stranger's key, presented under the stack's own key id and under another one.
  const stranger = generateJwtSigningKey().jwtPrivateJwk;
  const stackKid = (JSON.parse(stack.jwtPrivateJwk) as { kid: string }).kid;
  const forgedTokens = [
    signAccessToken(stranger, { sub: 'forger', email: stack.adminEmails, role: 'admin', kid: stackKid }),
    signAccessToken(stranger, { sub: 'forger', email: 'forger@ludic.test', role: 'player' }),
    `${player.token.split('.').slice(0, 2).join('.')}.${Buffer.from('not the signature').toString('base64url')}`,
  ];

  // Everything a rejected request could have written: row counts and the money in wallets.
  const fingerprint = async () => {
    const { rows } = await db.query<{ state: string }>(`
      select concat_ws(' ',
        (select count(*) from auth.users), (select count(*) from wallet.wallets),
        (select coalesce(sum(balance), 0) from wallet.wallets), (select count(*) from wallet.ledger_entries),
        (select count(*) from wallet.voided_references), (select count(*) from wallet.idempotency_keys),
        (select count(*) from bets.events), (select count(*) from bets.bets),
        (select count(*) from bets.settlement_outbox), (select count(*) from bets.idempotency_keys)) as state`);
    return rows[0]!.state;
  };
  // An accepted request may leave work for a worker (a cancel queues refunds, a settle payouts,
  // delivered by the outbox within a second or so): wait for it, so a change seen around the
  // next request is that request's own.
  const quiescent = () =>
    waitFor(
      async () => {
        const { rows } = await db.query<{ pending: string }>('select count(*) as pending from bets.settlement_outbox where delivered_at is null');
        return rows[0]!.pending === '0';
      },
      { what: 'the settlement outbox to deliver what earlier requests queued', timeoutMs: 15_000, intervalMs: 20 },
    );

  const realIds = [betEvent.body.id as string, adminEvent.body.id as string, bet.body.id as string];
  const validBodies: Record<string, Record<string, unknown>> = {
    register: { email: 'fuzz@ludic.test', password: 'hostile-pass-1', name: 'Fuzz' },
    login: { email: 'hostile-player@ludic.test', password: 'hostile-pass-1' },
    refresh: { refreshToken: spareSession.refreshToken },
    deposit: { amount: '1.00' },
    placeBet: validBet,
    createEvent: eventBody,
    updateEvent: { odds: { home: '2.20', draw: '3.20', away: '3.50' }, status: 'live' },
    settleEvent: { result: 'home', score: { home: 1, away: 0 } },
  };
  const tokenFor: Record<RouteContract['access'], string | undefined> = { public: undefined, user: player.token, admin: admin.token, service: undefined };

  const stats = { requests: 0, byStatus: new Map<number, number>() };
  for (const [name, contract] of Object.entries(publicRoutes) as [string, RouteContract][]) {
    await t.test(`${contract.method} ${contract.url}`, async (t) => {
      const fields = Object.keys(validBodies[name] ?? { amount: 0 });
      const body = fc.oneof(
        { weight: 4, arbitrary: nearValidBody(validBodies[name] ?? { amount: '1.00' }) },
        { weight: 2, arbitrary: hostileJsonValue(fields) },
        { weight: 2, arbitrary: pathologicalBody },
      );
      // Logout with a valid token would end the session the other runs use: it only ever gets
      // tokens that must not work. Everything else mostly carries the right token, so the
      // request gets past access control to the validation it is meant to hit.
      const authorization =
        name === 'logout' || contract.access === 'public'
          ? hostileAuthorization(forgedTokens)
          : fc.oneof({ weight: 4, arbitrary: fc.constant(`Bearer ${tokenFor[contract.access]}`) }, { weight: 1, arbitrary: hostileAuthorization(forgedTokens) });
      const request = fc
        .record({
          id: hostileIdSegment(realIds),
          query: hostileQuery(['limit', 'before', 'status', 'id']),
          withQuery: fc.boolean(),
          body,
          withBody: fc.boolean(),
          contentType: hostileContentType,
          authorization,
          idempotencyKey: fc.option(hostileHeaderValue, { nil: undefined }),
          requestId: fc.option(hostileHeaderValue, { nil: undefined }),
          accept: fc.option(hostileHeaderValue, { nil: undefined }),
        })
        .map((r): HostileRequest => {
          const headers: Record<string, string> = {};
          if (r.authorization !== undefined) headers.authorization = r.authorization;
          if (r.contentType !== undefined) headers['content-type'] = r.contentType;
          if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
          if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
          if (r.accept !== undefined) headers.accept = r.accept;
          const sendsBody = contract.method !== 'GET' && (contract.schema.body !== undefined || r.withBody);
          return {
            method: contract.method,
            path: `${contract.url.replace(':id', r.id)}${r.withQuery ? `?${r.query}` : ''}`,
            headers,
            body: sendsBody ? r.body : undefined,
          };
        });

      await fc.assert(
        fc.asyncProperty(request, async (hostile) => {
          await quiescent();
          const before = await fingerprint();
          const answer = await send(stack.url, hostile);
          stats.requests += 1;
          stats.byStatus.set(answer.status, (stats.byStatus.get(answer.status) ?? 0) + 1);
          const problem = problemWith(answer);
          if (problem) throw new Error(problem);
          if (answer.status >= 400) {
            const after = await fingerprint();
            if (after !== before) throw new Error(`rejected with ${answer.status} but the database changed: ${before} → ${after}`);
          }
        }),
        { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      t.pass(`${RUNS_PER_ROUTE} hostile requests`);
    });
  }
  t.comment(`${stats.requests} hostile requests; statuses: ${[...stats.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
});
