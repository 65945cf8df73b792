/** The edge in front of the real services (two instances each), as clients reach them. */
import t from 'tap';
import { startTestStack } from './testkit.js';

const stack = await startTestStack(t, { instancesPerService: 2 });

async function edge(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${stack.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (e.g. the SPA's HTML): keep the text.
  }
  return { status: response.status, headers: response.headers, body };
}

t.test('each public prefix reaches the right service', async (t) => {
  const routes: [string, string, RequestInit?][] = [
    ['/api/auth/me', 'auth-gateway'],
    ['/api/auth/login', 'auth-gateway', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['/api/wallet', 'wallet'],
    ['/api/wallet/transactions', 'wallet'],
    ['/api/events', 'bets'],
    ['/api/events/00000000-0000-0000-0000-000000000000', 'bets'],
    ['/api/bets', 'bets'],
    ['/api/bets/stream', 'bets'],
    ['/api/leaderboard', 'bets'],
    ['/api/admin/events', 'bets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['/health', 'auth-gateway'],
    ['/health/auth', 'auth-gateway'],
    ['/health/wallet', 'wallet'],
    ['/health/bets', 'bets'],
  ];
  for (const [path, service, init] of routes) {
    const answer = await edge(path, init);
    t.match(answer.headers.get('x-served-by'), new RegExp(`^${service}-[12]$`), `${path} → ${service} (${answer.status})`);
    t.ok(answer.status < 500, `${path} is not a server error`);
    t.ok(answer.headers.get('x-request-id'), `${path} carries x-request-id`);
  }
  for (const service of ['auth', 'wallet', 'bets']) {
    const health = await edge(`/health/${service}`);
    t.match(health.body, { status: 'ok' }, `/health/${service} is the service's own /health`);
  }
});

t.test('both instances of a service take traffic', async (t) => {
  const servedBy = new Set<string | null>();
  for (let i = 0; i < 10; i += 1) servedBy.add((await edge('/health/bets')).headers.get('x-served-by'));
  t.same([...servedBy].sort(), ['bets-1', 'bets-2']);
});

t.test('internal, metrics and readiness endpoints are not routed', async (t) => {
  for (const [path, method] of [
    ['/internal/wallet/debit', 'POST'],
    ['/internal/wallet/entries?prefix=bet:', 'GET'],
    ['/metrics', 'GET'],
    ['/ready', 'GET'],
    ['/api/internal/wallet/debit', 'POST'],
  ] as const) {
    const answer = await edge(path, { method, headers: { 'x-internal-token': stack.internalToken, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
    t.equal(answer.status, 404, path);
    t.match(answer.body, { statusCode: 404, code: 'NOT_FOUND' }, `${path}: JSON envelope`);
    t.equal(answer.headers.get('x-served-by'), null, `${path} never reached a service`);
  }
});

t.test('bad requests get 4xx envelopes, never a 5xx', async (t) => {
  const json = { 'content-type': 'application/json' };
  const oversized = await edge('/api/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email: 'x'.repeat(70 * 1024), password: 'p' }) });
  t.equal(oversized.status, 413);
  t.match(oversized.body, { statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });

  const malformed = await edge('/api/auth/login', { method: 'POST', headers: json, body: '{"email":' });
  t.equal(malformed.status, 400);
  t.match(malformed.body, { statusCode: 400, code: 'VALIDATION_ERROR' });

  const wrongType = await edge('/api/auth/login', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  t.equal(wrongType.status, 415);
  t.match(wrongType.body, { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });

  const unknownApi = await edge('/api/nothing-here');
  t.equal(unknownApi.status, 404);
  t.match(unknownApi.body, { statusCode: 404, code: 'NOT_FOUND' });

  const unknownInService = await edge('/api/wallet/nothing-here');
  t.equal(unknownInService.status, 404);
  t.match(unknownInService.body, { statusCode: 404, code: 'NOT_FOUND' }, 'the service answers unknown routes with the envelope too');
});
