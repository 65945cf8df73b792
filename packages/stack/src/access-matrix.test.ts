/**
 * The access-control matrix end to end: every public route (packages/contracts publicRoutes)
 * through nginx, as anonymous, a player, another player, an admin and a forger (a stranger's
 * key under the stack's own key id, claiming admin). Then the internal routes: unreachable
 * from the edge, refused directly without the service credential.
 */
import t from 'tap';
import { internalRoutes, publicRoutes } from '@ludic/contracts';
import { signAccessToken } from './hostile-input.js';
import { generateJwtSigningKey } from './secrets.js';
import { startTestStack } from './testkit.js';

type Role = 'anonymous' | 'player' | 'other' | 'admin' | 'forger';
const roles: Role[] = ['anonymous', 'player', 'other', 'admin', 'forger'];
type RouteName = keyof typeof publicRoutes;

/**
 * Expected status per route and role, for a request that is otherwise valid. `other` asks for
 * the player's bet: another user's bet is a 404, exactly like a bet that does not exist.
 */
const expected: Record<RouteName, [anonymous: number, player: number, other: number, admin: number, forger: number]> = {
  register:         [201, 201, 201, 201, 201],
  login:            [200, 200, 200, 200, 200],
  refresh:          [200, 200, 200, 200, 200],
  me:               [401, 200, 200, 200, 401],
  getWallet:        [401, 200, 200, 200, 401],
  listTransactions: [401, 200, 200, 200, 401],
  deposit:          [401, 201, 201, 201, 401],
  listEvents:       [200, 200, 200, 200, 200],
  getEvent:         [200, 200, 200, 200, 200],
  placeBet:         [401, 201, 201, 201, 401],
  listBets:         [401, 200, 200, 200, 401],
  getBet:           [401, 200, 404, 404, 401],
  betStream:        [401, 200, 200, 200, 401],
  leaderboard:      [200, 200, 200, 200, 200],
  createEvent:      [401, 403, 403, 201, 401],
  updateEvent:      [401, 403, 403, 200, 401],
  settleEvent:      [401, 403, 403, 200, 401],
  cancelEvent:      [401, 403, 403, 200, 401],
  // Last: it ends the session it is called with (each role uses a session of its own here).
  logout:           [401, 200, 200, 200, 401],
};

interface Answer {
  status: number;
  body: Record<string, any>;
}

t.test('access control through nginx: every public route × every role', async (t) => {
  // Each role logs the player in several times: the per-email login limit must not decide.
  const stack = await startTestStack(t, { env: { 'auth-gateway': { LOGIN_RATE_LIMIT_MAX: '1000' } } });
  const call = async (base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: controller.signal,
      });
      // The event stream never ends: its status is the answer.
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
        controller.abort();
        return { status: response.status, body: {} };
      }
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
    } finally {
      clearTimeout(timer);
    }
  };
  const password = 'matrix-pass-1';
  const session = async (email: string) => {
    const login = await call(stack.url, 'POST', '/api/auth/login', { body: { email, password } });
    if (login.status === 200) return login.body as { token: string; refreshToken: string; user: { id: string } };
    const registered = await call(stack.url, 'POST', '/api/auth/register', { body: { email, password, name: 'Matrix' } });
    t.equal(registered.status, 201, `register ${email}`);
    return registered.body as { token: string; refreshToken: string; user: { id: string } };
  };
  const emails: Record<Exclude<Role, 'anonymous' | 'forger'>, string> = {
    player: 'matrix-player@ludic.test',
    other: 'matrix-other@ludic.test',
    admin: stack.adminEmails,
  };
  const player = await session(emails.player);
  const other = await session(emails.other);
  const admin = await session(emails.admin);
  const stranger = generateJwtSigningKey().jwtPrivateJwk;
  const stackKid = (JSON.parse(stack.jwtPrivateJwk) as { kid: string }).kid;
  const forged = signAccessToken(stranger, { sub: player.user.id, email: stack.adminEmails, role: 'admin', kid: stackKid });
  const tokens: Record<Role, string | undefined> = { anonymous: undefined, player: player.token, other: other.token, admin: admin.token, forger: forged };

  const startsAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  const newEvent = async (round: string) => {
    const created = await call(stack.url, 'POST', '/api/admin/events', {
      token: admin.token,
      body: { tournament: 'Matrix Cup', round, homeTeam: 'Home', awayTeam: 'Away', startsAt, odds: { home: '2.00', draw: '3.00', away: '4.00' } },
    });
    t.equal(created.status, 201, `event ${round}`);
    return created.body.id as string;
  };
  /** An event that has kicked off: the only kind that can be settled. */
  const liveEvent = async (round: string) => {
    const id = await newEvent(round);
    t.equal((await call(stack.url, 'PATCH', `/api/admin/events/${id}`, { token: admin.token, body: { status: 'live' } })).status, 200, `event ${round} is live`);
    return id;
  };
  const betEvent = await newEvent('bets');
  const playerBet = await call(stack.url, 'POST', '/api/bets', {
    token: player.token,
    headers: { 'idempotency-key': 'matrix-player-bet' },
    body: { eventId: betEvent, selection: 'home', odds: '2.00', amount: '1.00' },
  });
  t.equal(playerBet.status, 201, "the player's bet");

  let serial = 0;
  const unique = (role: Role) => `${role}-${++serial}`;
  /** A request that is valid for an allowed caller, so only access decides its status. */
  const requestFor: Record<RouteName, (role: Role) => Promise<{ method: string; path: string; body?: unknown; headers?: Record<string, string>; token?: string }>> = {
    register: async (role) => ({ method: 'POST', path: '/api/auth/register', body: { email: `matrix-${unique(role)}@ludic.test`, password, name: 'Matrix' } }),
    login: async () => ({ method: 'POST', path: '/api/auth/login', body: { email: emails.player, password } }),
    refresh: async () => ({ method: 'POST', path: '/api/auth/refresh', body: { refreshToken: (await session(emails.player)).refreshToken } }),
    me: async () => ({ method: 'GET', path: '/api/auth/me' }),
    getWallet: async () => ({ method: 'GET', path: '/api/wallet' }),
    listTransactions: async () => ({ method: 'GET', path: '/api/wallet/transactions?limit=5' }),
    deposit: async (role) => ({ method: 'POST', path: '/api/wallet/deposit', body: { amount: '10.00' }, headers: { 'idempotency-key': `deposit-${unique(role)}` } }),
    listEvents: async () => ({ method: 'GET', path: '/api/events' }),
    getEvent: async () => ({ method: 'GET', path: `/api/events/${betEvent}` }),
    placeBet: async (role) => ({
      method: 'POST', path: '/api/bets', body: { eventId: betEvent, selection: 'draw', odds: '3.00', amount: '1.00' }, headers: { 'idempotency-key': `bet-${unique(role)}` },
    }),
    listBets: async () => ({ method: 'GET', path: '/api/bets' }),
    getBet: async () => ({ method: 'GET', path: `/api/bets/${playerBet.body.id}` }),
    betStream: async () => ({ method: 'GET', path: '/api/bets/stream' }),
    leaderboard: async () => ({ method: 'GET', path: '/api/leaderboard' }),
    createEvent: async (role) => ({
      method: 'POST', path: '/api/admin/events',
      body: { tournament: 'Matrix Cup', round: unique(role), homeTeam: 'Home', awayTeam: 'Away', startsAt, odds: { home: '2.00', draw: '3.00', away: '4.00' } },
    }),
    updateEvent: async () => ({ method: 'PATCH', path: `/api/admin/events/${betEvent}`, body: { odds: { home: '2.00', draw: '3.00', away: '4.00' } } }),
    // A fresh event per call: only an allowed caller may finish it, and it must still be open.
    settleEvent: async () => ({ method: 'POST', path: `/api/admin/events/${await liveEvent('settle')}/settle`, body: { result: 'home' } }),
    cancelEvent: async () => ({ method: 'POST', path: `/api/admin/events/${await newEvent('cancel')}/cancel` }),
    logout: async (role) => ({
      method: 'POST', path: '/api/auth/logout', token: role === 'anonymous' || role === 'forger' ? tokens[role] : (await session(emails[role])).token,
    }),
  };

  t.same(Object.keys(expected).sort(), Object.keys(publicRoutes).sort(), 'the table covers every public route');
  for (const name of Object.keys(expected) as RouteName[]) {
    const contract = publicRoutes[name];
    await t.test(`${contract.method} ${contract.url} (${contract.access})`, async (t) => {
      for (const [i, role] of roles.entries()) {
        const request = await requestFor[name](role);
        const token = 'token' in request ? request.token : tokens[role];
        const answer = await call(stack.url, request.method, request.path, { token, body: request.body, headers: request.headers });
        t.equal(answer.status, expected[name][i], `${role}: ${answer.status} ${answer.body.code ?? ''}`);
        if (answer.status >= 400) t.match(answer.body, { statusCode: answer.status, code: String, message: String }, `${role}: the envelope`);
      }
    });
  }

  await t.test("another player's list never shows the player's bet", async (t) => {
    const list = await call(stack.url, 'GET', '/api/bets', { token: other.token });
    t.equal(list.status, 200);
    t.notOk((list.body as unknown as { id: string }[]).some((bet) => bet.id === playerBet.body.id));
  });

  await t.test('other forgeries: alg none, a payload edited to admin, an expired token', async (t) => {
    const [header, payload, signature] = admin.token.split('.') as [string, string, string];
    const playerClaims = JSON.parse(Buffer.from(player.token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forgeries = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...playerClaims, role: 'admin' })}.`,
      'payload edited to admin': `${player.token.split('.')[0]}.${b64({ ...playerClaims, role: 'admin' })}.${player.token.split('.')[2]}`,
      "the admin's signature on the player's payload": `${header}.${player.token.split('.')[1]}.${signature}`,
      'expired, real key': signAccessToken(stack.jwtPrivateJwk, { sub: player.user.id, email: emails.player, role: 'player', expiresIn: -60 }),
    };
    t.ok(payload);
    // The control: the same signer with the stack's real key is accepted, so the forgeries
    // above and the forger's row fail on their signature, not on their shape.
    const genuine = signAccessToken(stack.jwtPrivateJwk, { sub: player.user.id, email: emails.player, role: 'player' });
    t.equal((await call(stack.url, 'GET', '/api/wallet', { token: genuine })).status, 200, 'a token signed with the real key works');
    for (const [what, token] of Object.entries(forgeries)) {
      for (const path of ['/api/auth/me', '/api/wallet', '/api/bets', '/api/admin/events']) {
        const method = path === '/api/admin/events' ? 'POST' : 'GET';
        const answer = await call(stack.url, method, path, { token, body: method === 'POST' ? {} : undefined });
        t.equal(answer.status, 401, `${what}: ${method} ${path}`);
      }
    }
  });

  await t.test('internal routes: 404 at the edge; directly, refused without the service credential', async (t) => {
    const wallet = stack.instances.wallet[0]!.url;
    for (const contract of Object.values(internalRoutes)) {
      const path = contract.method === 'GET' ? `${contract.url}?reference=bet:x` : contract.url;
      const body = contract.method === 'GET' ? undefined : { reference: 'bet:matrix', userId: player.user.id, amount: '1.00' };
      const atEdge = await call(stack.url, contract.method, path, { body, headers: { 'x-internal-token': stack.internalToken } });
      t.equal(atEdge.status, 404, `${contract.url} at the edge, even with the credential`);
      for (const [what, headers] of Object.entries({
        'no credential': {},
        'a wrong credential': { 'x-internal-token': 'x'.repeat(43) },
        "a player's bearer token": { authorization: `Bearer ${player.token}` },
        "an admin's bearer token": { authorization: `Bearer ${admin.token}` },
      })) {
        const direct = await call(wallet, contract.method, path, { body, headers });
        t.equal(direct.status, 401, `${contract.url} directly with ${what}`);
      }
    }
    const allowed = await call(wallet, 'GET', '/internal/wallet/entries?reference=bet:none', { headers: { 'x-internal-token': stack.internalToken } });
    t.equal(allowed.status, 200, 'with the credential the wallet answers');
  });
});
