/**
 * Edge hardening under a real nginx, in front of stand-in upstreams that count what reaches
 * them: the cross-origin policy, request-line and header limits, nginx's own errors in the
 * JSON envelope, per-IP request and concurrency limits, slow clients cut off, HSTS only in
 * deploy mode.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { defaultPerIpLimits, loadNginxTemplate, renderNginxConfig, type NginxConfigOptions } from './nginx-config.js';
import { rawRequest, startEdge, type RawAnswer } from './testkit.js';

interface StandIn {
  url: string;
  hits: string[];
}

/** An upstream that grants every origin (so the test sees nginx remove it); `/slow` takes 1 s. */
async function standIn(): Promise<StandIn> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(`${req.method} ${req.url}`);
      const answer = () => {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'access-control-allow-origin': '*',
          'access-control-allow-credentials': 'true',
        });
        res.end(JSON.stringify({ path: req.url }));
      };
      if (req.url === '/api/events/slow') setTimeout(answer, 1_000);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}


function envelopeOf(answer: RawAnswer): Record<string, unknown> {
  if (!String(answer.headers['content-type']).startsWith('application/json')) throw new Error(`${answer.status} is ${answer.headers['content-type']}, not JSON`);
  return answer.json();
}

const upstream = await standIn();
const upstreams = { auth: [upstream.url], wallet: [upstream.url], bets: [upstream.url] };
const edge = await startEdge(upstreams, t);

t.test('CORS: preflights refused with the JSON 403, no Access-Control-Allow-* ever', async (t) => {
  const before = upstream.hits.length;
  for (const path of ['/api/wallet/deposit', '/api/bets', '/api/auth/login', '/']) {
    const preflight = await rawRequest(edge.url, path, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    t.equal(preflight.status, 403, `preflight ${path}`);
    t.same(envelopeOf(preflight), { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: 'Cross-origin requests are not allowed' });
    t.notOk(preflight.headers['access-control-allow-origin'], `no allow-origin on the preflight of ${path}`);
    t.equal(preflight.headers['x-frame-options'], 'DENY', 'the security headers are still there');
  }
  t.equal(upstream.hits.length, before, 'no preflight reached a service');

  const crossOrigin = await rawRequest(edge.url, '/api/events', { headers: { origin: 'https://evil.example' } });
  t.equal(crossOrigin.status, 200, 'a simple cross-origin GET is answered (the browser keeps it from the page)');
  for (const header of ['access-control-allow-origin', 'access-control-allow-credentials']) {
    t.notOk(crossOrigin.headers[header], `${header} from the service is removed`);
  }
  const plainOptions = await rawRequest(edge.url, '/api/events', { method: 'OPTIONS' });
  t.equal(upstream.hits.at(-1), 'OPTIONS /api/events', 'an OPTIONS that is not a preflight is the service’s business');
  t.notOk(plainOptions.headers['access-control-allow-origin']);
});

t.test("request-line and header limits, nginx's own errors in the envelope", async (t) => {
  const before = upstream.hits.length;
  const longUri = await rawRequest(edge.url, `/api/events?q=${'a'.repeat(9_000)}`);
  t.equal(longUri.status, 414);
  t.match(envelopeOf(longUri), { statusCode: 414, code: 'URI_TOO_LONG', error: 'URI Too Long' });

  const longHeader = await rawRequest(edge.url, '/api/events', { headers: { 'x-filler': 'a'.repeat(9_000) } });
  t.equal(longHeader.status, 431);
  t.match(envelopeOf(longHeader), { statusCode: 431, code: 'HEADERS_TOO_LARGE' });

  const manyHeaders = await rawRequest(edge.url, '/api/events', {
    headers: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x-filler-${i}`, 'a'.repeat(7_000)])),
  });
  t.equal(manyHeaders.status, 431, 'headers beyond 4 × 8 KiB in total');

  const malformed = await rawRequest(edge.url, '/api/events/%00');
  t.equal(malformed.status, 400);
  t.same(envelopeOf(malformed), { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: 'Malformed request' });

  const postToPage = await rawRequest(edge.url, '/index.html', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(postToPage.status, 405);
  t.match(envelopeOf(postToPage), { statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
  t.equal(upstream.hits.length, before, 'none of them reached a service');

  const justUnder = await rawRequest(edge.url, '/api/events', { headers: { 'x-filler': 'a'.repeat(7_000) } });
  t.equal(justUnder.status, 200, 'a 7 KiB header is fine');
});

t.test('per-IP limits: request rate and requests in flight, JSON 429 before any service', async (t) => {
  const limited = await startEdge(upstreams, t, { perIpLimits: { requestsPerSecond: 1, burst: 5, connections: 100 } });
  const before = upstream.hits.length;
  const answers: RawAnswer[] = [];
  for (let i = 0; i < 12; i += 1) answers.push(await rawRequest(limited.url, '/api/events'));
  const passed = answers.filter((answer) => answer.status === 200).length;
  const refused = answers.filter((answer) => answer.status === 429);
  t.ok(passed >= 5 && passed <= 7, `about the burst of 5 passes at once (${passed})`);
  t.equal(refused.length, 12 - passed, 'the rest are 429');
  t.same(envelopeOf(refused[0]!), {
    statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests', message: 'Too many requests from this address', details: { retryAfterSeconds: 1 },
  });
  t.equal(refused[0]!.headers['x-content-type-options'], 'nosniff', 'with the security headers');
  t.equal(upstream.hits.length - before, passed, 'a refused request never reached a service');

  const narrow = await startEdge(upstreams, t, { perIpLimits: { requestsPerSecond: 1000, burst: 1000, connections: 2 } });
  const concurrent = await Promise.all(Array.from({ length: 5 }, () => rawRequest(narrow.url, '/api/events/slow')));
  t.same(concurrent.map((answer) => answer.status).sort(), [200, 200, 429, 429, 429], 'two in flight at once, the others 429');
  t.equal((await rawRequest(narrow.url, '/api/events/slow')).status, 200, 'a slot frees once a request ends');

  const unlimited = await startEdge(upstreams, t, { perIpLimits: 'off' });
  const burst = await Promise.all(Array.from({ length: 50 }, () => rawRequest(unlimited.url, '/api/events')));
  t.ok(burst.every((answer) => answer.status === 200), "'off' lets a benchmark through");
});

/** Opens a raw connection, sends `text`, and resolves with what nginx sent before closing. */
function halfRequest(base: string, text: string): Promise<{ seconds: number; received: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const socket = net.connect(Number(port), hostname, () => socket.write(text));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve({ seconds: (Date.now() - started) / 1000, received }));
    socket.on('error', reject);
    // Far beyond nginx's 10 s: if it has not hung up by then, the test fails on the timing.
    socket.setTimeout(20_000, () => socket.destroy());
  });
}

t.test('slow clients are cut off: a request that never ends its headers or its body', async (t) => {
  const before = upstream.hits.length;
  const [headers, body] = await Promise.all([
    halfRequest(edge.url, 'GET /api/events HTTP/1.1\r\nHost: ludic\r\nX-Dribble: a'),
    halfRequest(edge.url, 'POST /api/bets HTTP/1.1\r\nHost: ludic\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":'),
  ]);
  t.ok(headers.seconds >= 9 && headers.seconds < 15, `unfinished headers: closed after ${headers.seconds} s`);
  t.ok(body.seconds >= 9 && body.seconds < 15, `unfinished body: closed after ${body.seconds} s`);
  t.equal(upstream.hits.length, before, 'neither reached a service');
});

t.test('HSTS in deploy mode only; per-IP limits on by default', async (t) => {
  const base: NginxConfigOptions = { listen: '80', staticRoot: '/srv/ludic/web', upstreams: { auth: ['10.0.0.1:4101'], wallet: ['10.0.0.1:4201'], bets: ['10.0.0.1:4301'] } };
  const deploy = renderNginxConfig(loadNginxTemplate(), base);
  t.match(deploy, /add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;/);
  t.match(deploy, new RegExp(`limit_req_zone \\$binary_remote_addr zone=ludic_per_ip:10m rate=${defaultPerIpLimits.requestsPerSecond}r/s;`));
  t.match(deploy, new RegExp(`limit_req zone=ludic_per_ip burst=${defaultPerIpLimits.burst} nodelay;`));
  t.match(deploy, new RegExp(`limit_conn ludic_per_ip_conn ${defaultPerIpLimits.connections};`));
  const local = renderNginxConfig(loadNginxTemplate(), { ...base, runtimeDir: '/tmp/ludic-nginx' });
  t.notMatch(local, /Strict-Transport-Security/, 'a local stack on plain HTTP does not pin HTTPS');
  t.notMatch(renderNginxConfig(loadNginxTemplate(), { ...base, perIpLimits: 'off' }), /limit_req|limit_conn/);
  t.throws(() => renderNginxConfig(loadNginxTemplate(), { ...base, perIpLimits: { requestsPerSecond: 0, burst: 1, connections: 1 } }), /positive integer/);
  const answer = await rawRequest(edge.url, '/api/events');
  t.notOk(answer.headers['strict-transport-security'], 'the local edge sends no HSTS');
});
