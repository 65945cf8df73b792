/**
 * The edge config under a real nginx, in front of stand-in upstreams that report what reached
 * them. (routing.test.ts repeats the routing checks against the real services.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { getFreePort } from './ports.js';
import { rawRequest, startEdge, testDir, type RawAnswer } from './testkit.js';

interface Hit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

interface StandIn {
  url: string;
  hits: Hit[];
}

/** An upstream that answers `status` with JSON naming itself, like a service would. */
async function standIn(name: string, status = 200): Promise<StandIn> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const payload = req.url === '/big' ? { service: name, filler: 'x'.repeat(4096) } : { service: name, path: req.url };
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-served-by': name,
        'x-request-id': String(req.headers['x-request-id'] ?? ''),
      });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}


const auth = await standIn('auth');
const wallet = await standIn('wallet');
const bets = await standIn('bets');

const staticRoot = testDir('web');
mkdirSync(path.join(staticRoot, 'assets'));
writeFileSync(path.join(staticRoot, 'index.html'), '<!doctype html><title>Ludic SPA</title>\n');
writeFileSync(path.join(staticRoot, 'assets', 'app-3f2a9c.js'), `console.log(${JSON.stringify('x'.repeat(2048))});\n`);

const edge = await startEdge({ auth: [auth.url], wallet: [wallet.url], bets: [bets.url] }, t, { staticRoot });

t.test('each public prefix reaches its service, path unchanged', async (t) => {
  const routes: [string, string, string][] = [
    ['/api/auth/login', 'auth', '/api/auth/login'],
    ['/api/auth/me', 'auth', '/api/auth/me'],
    ['/api/wallet', 'wallet', '/api/wallet'],
    ['/api/wallet/transactions?limit=5', 'wallet', '/api/wallet/transactions?limit=5'],
    ['/api/events', 'bets', '/api/events'],
    ['/api/events/42', 'bets', '/api/events/42'],
    ['/api/bets', 'bets', '/api/bets'],
    ['/api/bets/7', 'bets', '/api/bets/7'],
    ['/api/bets/stream', 'bets', '/api/bets/stream'],
    ['/api/leaderboard', 'bets', '/api/leaderboard'],
    ['/api/admin/events', 'bets', '/api/admin/events'],
    ['/health', 'auth', '/health'],
    ['/health/auth', 'auth', '/health'],
    ['/health/wallet', 'wallet', '/health'],
    ['/health/bets', 'bets', '/health'],
  ];
  for (const [publicPath, service, upstreamPath] of routes) {
    const answer = await rawRequest(edge.url, publicPath);
    t.equal(answer.status, 200, `${publicPath} answered`);
    t.equal(answer.headers['x-served-by'], service, `${publicPath} served by ${service}`);
    t.equal(answer.json().path, upstreamPath, `${publicPath} arrives as ${upstreamPath}`);
  }
});

t.test('unrouted paths get the JSON 404 envelope from nginx', async (t) => {
  const before = auth.hits.length + wallet.hits.length + bets.hits.length;
  for (const rawPath of [
    '/internal/wallet/debit',
    '/metrics',
    '/ready',
    '/api/unknown',
    '/api/walletx',
    '/api/wallet/../../internal/wallet/entries',
    '/api/wallet/..%2f..%2finternal/wallet/entries',
    '/health/ready',
  ]) {
    const answer = await rawRequest(edge.url, rawPath, { method: rawPath === '/internal/wallet/debit' ? 'POST' : 'GET' });
    t.equal(answer.status, 404, `${rawPath} is 404`);
    t.match(answer.headers['content-type'], /^application\/json/);
    t.same(answer.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'Route not found' });
  }
  t.equal(auth.hits.length + wallet.hits.length + bets.hits.length, before, 'nothing reached a service');
});

t.test('an oversized body gets the JSON 413 envelope and never reaches the service', async (t) => {
  const before = bets.hits.length;
  const answer = await rawRequest(edge.url, '/api/bets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filler: 'x'.repeat(70 * 1024) }),
  });
  t.equal(answer.status, 413);
  t.match(answer.json(), { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', error: 'Payload Too Large' });
  t.equal(bets.hits.length, before);
});

t.test('x-request-id: the client one is kept, otherwise nginx makes one; exactly one in the response', async (t) => {
  const given = await rawRequest(edge.url, '/api/wallet', { headers: { 'x-request-id': 'client-req-1' } });
  t.equal(given.headers['x-request-id'], 'client-req-1');
  t.equal(wallet.hits.at(-1)?.headers['x-request-id'], 'client-req-1');

  const generated = await rawRequest(edge.url, '/api/wallet');
  t.match(generated.headers['x-request-id'], /^[0-9a-f]{32}$/);
  t.equal(wallet.hits.at(-1)?.headers['x-request-id'], generated.headers['x-request-id'], 'the service saw the same id');

  const unsafe = await rawRequest(edge.url, '/api/wallet', { headers: { 'x-request-id': 'a"b c' } });
  t.match(unsafe.headers['x-request-id'], /^[0-9a-f]{32}$/, 'an unsafe id is replaced');

  const fromNginx = await rawRequest(edge.url, '/metrics', { headers: { 'x-request-id': 'client-req-2' } });
  t.equal(fromNginx.headers['x-request-id'], 'client-req-2', 'also on responses nginx makes itself');
});

t.test('upstreams get forwarding headers over keep-alive HTTP/1.1', async (t) => {
  await rawRequest(edge.url, '/api/auth/me');
  const hit = auth.hits.at(-1);
  t.equal(hit?.headers['x-forwarded-for'], '127.0.0.1');
  t.equal(hit?.headers['x-forwarded-proto'], 'http');
  t.notOk(hit?.headers.connection, 'Connection cleared so the upstream connection stays open');
});

t.test('security headers on every response, no server version', async (t) => {
  for (const rawPath of ['/', '/api/wallet', '/internal/x']) {
    const answer = await rawRequest(edge.url, rawPath);
    t.equal(answer.headers['x-content-type-options'], 'nosniff', rawPath);
    t.equal(answer.headers['x-frame-options'], 'DENY', rawPath);
    t.equal(answer.headers['referrer-policy'], 'strict-origin-when-cross-origin', rawPath);
    t.match(answer.headers['content-security-policy'], /default-src 'self'/, rawPath);
    t.equal(answer.headers.server, 'nginx', `${rawPath}: server without version`);
  }
});

t.test('gzip for JSON and JavaScript', async (t) => {
  const json = await rawRequest(edge.url, '/api/events/../wallet/big'.replace('/api/events/..', '/api'), { headers: { 'accept-encoding': 'gzip' } });
  t.equal(json.headers['content-encoding'], 'gzip');
  t.equal(JSON.parse(gunzipSync(json.body).toString('utf8')).service, 'wallet');
  const script = await rawRequest(edge.url, '/assets/app-3f2a9c.js', { headers: { 'accept-encoding': 'gzip' } });
  t.equal(script.headers['content-encoding'], 'gzip');
});

t.test('the SPA: hashed assets immutable, index.html revalidated, client routes fall back to it', async (t) => {
  const asset = await rawRequest(edge.url, '/assets/app-3f2a9c.js');
  t.equal(asset.status, 200);
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  for (const rawPath of ['/', '/index.html', '/bets/history', '/events/42']) {
    const page = await rawRequest(edge.url, rawPath);
    t.equal(page.status, 200, rawPath);
    t.match(page.body.toString('utf8'), /Ludic SPA/, rawPath);
    t.equal(page.headers['cache-control'], 'no-cache', rawPath);
  }
  const missing = await rawRequest(edge.url, '/assets/gone-000000.js');
  t.equal(missing.status, 404, 'a missing asset is not answered with index.html');
  const api = await rawRequest(edge.url, '/api/wallet');
  t.notOk(api.headers['cache-control'], 'API responses get no cache header from nginx');
});

t.test('an unreachable service gives the JSON 502 envelope', async (t) => {
  const closedPort = await getFreePort();
  const down = await startEdge({ auth: [auth.url], wallet: [`127.0.0.1:${closedPort}`], bets: [bets.url] }, t);
  const answer = await rawRequest(down.url, '/api/wallet');
  t.equal(answer.status, 502);
  t.match(answer.json(), { statusCode: 502, code: 'SERVICE_UNAVAILABLE' });
});

t.test('a failing instance: idempotent requests move to another, non-idempotent ones are not replayed', async (t) => {
  const failing = await standIn('wallet-failing', 503);
  const healthy = await standIn('wallet-healthy');
  const upstreams = { auth: [auth.url], wallet: [failing.url, healthy.url], bets: [bets.url] };

  const forGets = await startEdge(upstreams, t);
  for (let i = 0; i < 4; i += 1) {
    const answer = await rawRequest(forGets.url, '/api/wallet', { headers: { 'x-request-id': `get-${i}` } });
    t.equal(answer.status, 200, `GET ${i} answered by the healthy instance`);
    t.equal(answer.headers['x-served-by'], 'wallet-healthy');
  }
  const retried = failing.hits.filter((hit) => healthy.hits.some((other) => other.headers['x-request-id'] === hit.headers['x-request-id']));
  t.ok(retried.length >= 1, 'a GET that hit the failing instance was retried on the healthy one');

  const forPosts = await startEdge(upstreams, t);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i += 1) {
    const answer = await rawRequest(forPosts.url, '/api/wallet/deposit', { method: 'POST', headers: { 'x-request-id': `post-${i}`, 'content-type': 'application/json' }, body: '{}' });
    statuses.push(answer.status);
  }
  t.ok(statuses.includes(503), 'a POST that reached the failing instance returns its 503');
  const failedPosts = failing.hits.filter((hit) => hit.method === 'POST').map((hit) => hit.headers['x-request-id']);
  const healthyPosts = healthy.hits.filter((hit) => hit.method === 'POST').map((hit) => hit.headers['x-request-id']);
  t.same(failedPosts.filter((id) => healthyPosts.includes(id)), [], 'no POST was sent to both instances');
});

t.test('after every instance answered 503 (a shared dependency down), the service is reachable again within seconds of recovering', async (t) => {
  // Both instances 503 while, say, PostgreSQL restarts: nginx counts each 503 as a failed
  // attempt and skips the instance for fail_timeout. Once the dependency is back, nginx must
  // not keep answering "no live upstreams" for long (scripts/chaos measured 8 s with 10 s).
  let status = 503;
  const servers = await Promise.all(
    [1, 2].map(async () => {
      const server = http.createServer((req, res) => {
        req.resume();
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: status, code: status === 200 ? undefined : 'SERVICE_UNAVAILABLE' }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      t.teardown(() => new Promise((resolve) => server.close(resolve)));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }),
  );
  const shared = await startEdge({ auth: [auth.url], wallet: servers, bets: [bets.url] }, t);
  const during: number[] = [];
  for (let i = 0; i < 10; i += 1) during.push((await rawRequest(shared.url, '/api/wallet')).status);
  t.ok(during.includes(502), `nginx skips both instances after their 503s (${during.join(' ')})`);

  status = 200;
  const recoveredAt = Date.now();
  let served = false;
  while (!served && Date.now() - recoveredAt < 15_000) {
    served = (await rawRequest(shared.url, '/api/wallet')).status === 200;
    if (!served) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const waited = Date.now() - recoveredAt;
  t.ok(served && waited <= 4_000, `served again ${waited} ms after the instances recovered (at most fail_timeout 2 s + margin)`);
});
