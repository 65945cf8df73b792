import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { loadNginxTemplate, renderNginxConfig, type NginxConfigOptions } from './nginx-config.js';
import { startNginx } from './nginx.js';
import { getFreePorts } from './ports.js';
import { generateJwtSigningKey } from './secrets.js';
import { startServiceInstance } from './services.js';
import { createTestDatabase, rawRequest, testDir, testRedisUrl, testServiceRuntime } from './testkit.js';

/**
 * HTTPS in the edge, for real: a throwaway self-signed certificate from openssl, the config
 * rendered with TLS (the deploy rendering passes `nginx -t`; the same TLS rendering runs in a
 * local-mode nginx on loopback ports) in front of a real bets instance. Checked: HTTP answers
 * a 301 to HTTPS with host, path and query kept, ACME challenges excepted; HTTPS serves the API
 * with HSTS and the security headers, over HTTP/2 too; TLS 1.2 and 1.3 work, TLS 1.1 is refused.
 */

const dir = testDir('nginx-tls');
const certificate = path.join(dir, 'fullchain.pem');
const certificateKey = path.join(dir, 'privkey.pem');
const openssl = spawnSync(
  'openssl',
  ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=ludic.test',
    '-addext', 'subjectAltName=DNS:ludic.test,IP:127.0.0.1', '-keyout', certificateKey, '-out', certificate],
  { encoding: 'utf8' },
);
if (openssl.error || openssl.status !== 0) throw new Error(`openssl could not make a test certificate: ${openssl.error?.message ?? openssl.stderr}`);
const ca = readFileSync(certificate);
const acmeWebroot = path.join(dir, 'acme');
mkdirSync(path.join(acmeWebroot, '.well-known', 'acme-challenge'), { recursive: true });
writeFileSync(path.join(acmeWebroot, '.well-known', 'acme-challenge', 'token-1'), 'token-1.thumbprint');

const deployOptions: NginxConfigOptions = {
  listen: '443',
  tls: { certificate, certificateKey, httpListen: '80', acmeWebroot },
  staticRoot: '/srv/ludic/web',
  upstreams: { auth: ['10.0.0.11:4101'], wallet: ['10.0.0.11:4201'], bets: ['10.0.0.11:4301'] },
};

t.test('the deploy rendering with TLS: an HTTPS server, an HTTP redirect server, and nginx -t accepts it', async (t) => {
  const config = renderNginxConfig(loadNginxTemplate(), deployOptions);
  t.match(config, /^\s*listen 443 ssl http2;$/m);
  t.match(config, /^\s*ssl_protocols TLSv1\.2 TLSv1\.3;$/m);
  t.match(config, /^\s*ssl_session_tickets off;$/m);
  t.match(config, /^\s*ssl_session_cache shared:ludic_tls:10m;$/m);
  t.match(config, /add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;/);
  t.match(config, /^\s*listen 80;$/m);
  t.match(config, /return 301 https:\/\/\$host\$request_uri;/, 'no port in the redirect when HTTPS is on 443');
  t.match(renderNginxConfig(loadNginxTemplate(), { ...deployOptions, listen: '10.0.0.10:8443' }), /return 301 https:\/\/\$host:8443\$request_uri;/);
  t.notMatch(renderNginxConfig(loadNginxTemplate(), { ...deployOptions, tls: { ...deployOptions.tls!, acmeWebroot: undefined } }), /acme-challenge/);
  t.throws(() => renderNginxConfig(loadNginxTemplate(), { ...deployOptions, tls: { ...deployOptions.tls!, certificate: 'cert.pem' } }), /not an absolute path/);
  t.throws(() => renderNginxConfig(loadNginxTemplate(), { ...deployOptions, tls: { ...deployOptions.tls!, httpListen: '80; evil' } }), /not a port/);
  const plain = renderNginxConfig(loadNginxTemplate(), { ...deployOptions, tls: undefined, listen: '80' });
  t.notMatch(plain, /ssl|return 301 https/, 'without TLS: one plain server, as before');

  // nginx -t opens the logs under /var/log/nginx: give it private ones in a mount namespace.
  const check = testDir('nginx-tls-deploy');
  mkdirSync(path.join(check, 'log'));
  writeFileSync(path.join(check, 'nginx.conf'), config);
  const script = [`mount --bind ${check}/log /var/log/nginx`, `nginx -t -c ${check}/nginx.conf`].join(' && ');
  const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
  t.equal(result.status, 0, result.stderr);
  t.notMatch(result.stderr, /\[(?:warn|emerg)\]/, 'no warnings either');
});

t.test('a TLS edge in front of a real bets instance', async (t) => {
  const database = await createTestDatabase(t);
  const [betsPort, walletPort, httpsPort, httpPort] = await getFreePorts(4);
  const bets = await startServiceInstance({
    service: 'bets',
    port: betsPort!,
    serverId: 'bets-tls',
    shared: {
      databaseUrl: database.url,
      redisUrl: testRedisUrl(),
      internalToken: randomBytes(32).toString('base64url'),
      // Nothing listens there: these checks never reach the wallet.
      walletUrl: `http://127.0.0.1:${walletPort}`,
      ...generateJwtSigningKey('tls-check'),
      adminEmails: 'admin@ludic.test',
      nodeEnv: 'test',
      logLevel: 'warn',
    },
    runtime: testServiceRuntime(),
    logFile: path.join(dir, 'bets.log'),
    healthTimeoutMs: 60_000,
  });
  t.teardown(() => bets.stop());
  const runtimeDir = testDir('nginx-tls-edge');
  mkdirSync(path.join(runtimeDir, 'web'));
  writeFileSync(path.join(runtimeDir, 'web', 'index.html'), '<!doctype html><title>Ludic</title>\n');
  const edge = await startNginx({
    port: httpsPort!,
    runtimeDir,
    upstreams: { auth: [bets.url], wallet: [bets.url], bets: [bets.url] },
    staticRoot: path.join(runtimeDir, 'web'),
    workerProcesses: 1,
    perIpLimits: 'off',
    tls: { certificate, certificateKey, httpListen: `127.0.0.1:${httpPort}`, acmeWebroot },
  });
  t.teardown(edge.stop);
  const httpUrl = `http://127.0.0.1:${httpPort}`;

  await t.test('plain HTTP: a 301 to HTTPS with the same host, path and query; ACME challenges are served', async (t) => {
    for (const [method, rawPath] of [['GET', '/api/events?status=live&x=%20y'], ['POST', '/api/bets'], ['GET', '/']]) {
      const answer = await rawRequest(httpUrl, rawPath!, { method: method!, headers: { host: 'ludic.test' } });
      t.equal(answer.status, 301, `${method} ${rawPath}`);
      t.equal(answer.headers.location, `https://ludic.test:${httpsPort}${rawPath}`);
    }
    const challenge = await rawRequest(httpUrl, '/.well-known/acme-challenge/token-1', { headers: { host: 'ludic.test' } });
    t.equal(challenge.status, 200);
    t.equal(challenge.body.toString(), 'token-1.thumbprint');
    t.equal((await rawRequest(httpUrl, '/.well-known/acme-challenge/unknown')).status, 404, 'an unknown token is a 404, not a redirect');
  });

  const get = (rawPath: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; protocol: string | null }>((resolve, reject) => {
      const req = https.request(`${edge.url}${rawPath}`, { ca, servername: 'ludic.test', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol: (res.socket as tls.TLSSocket).getProtocol() }));
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error(`${rawPath} timed out`)));
      req.end();
    });

  await t.test('HTTPS serves the API, verified against the certificate, with HSTS and the security headers', async (t) => {
    const events = await get('/api/events');
    t.equal(events.status, 200, events.body);
    t.ok(Array.isArray(JSON.parse(events.body)), 'the events list from bets');
    t.equal(events.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    t.equal(events.headers['x-content-type-options'], 'nosniff');
    t.equal(events.headers['x-frame-options'], 'DENY');
    t.match(events.headers['content-security-policy'], /default-src 'self'/);
    t.match(events.headers['x-request-id'], /^[A-Za-z0-9._:-]+$/);
    const health = await get('/health/bets');
    t.equal(health.status, 200);
    t.same(JSON.parse(health.body), { status: 'ok', service: 'bets', serverId: 'bets-tls' });
    const missing = await get('/api/nope');
    t.equal(missing.status, 404);
    t.equal(missing.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', 'HSTS on nginx-made errors too');
  });

  await t.test('HTTP/2 is negotiated by ALPN and serves the API', async (t) => {
    const session = http2.connect(edge.url, { ca, servername: 'ludic.test' });
    t.teardown(() => session.close());
    const answer = await new Promise<{ status: number; alpn: string | false | undefined; body: string }>((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({ ':path': '/health/bets' });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => resolve({ status, alpn: session.alpnProtocol, body }));
      stream.on('error', reject);
      stream.setTimeout(10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    });
    t.equal(answer.alpn, 'h2');
    t.equal(answer.status, 200, answer.body);
    t.match(answer.body, /"service":"bets"/);
  });

  /** A bare TLS handshake pinned to one protocol version. */
  const handshake = (version: tls.SecureVersion) =>
    new Promise<string>((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: httpsPort!,
        ca,
        servername: 'ludic.test',
        minVersion: version,
        maxVersion: version,
        // Node's default security level will not even offer TLS 1.1; lowered, it does, so a
        // refusal below is nginx's.
        ciphers: 'DEFAULT:@SECLEVEL=0',
      });
      socket.setTimeout(10_000, () => socket.destroy(new Error(`${version} handshake timed out`)));
      socket.once('secureConnect', () => {
        resolve(socket.getProtocol() ?? 'none');
        socket.end();
      });
      socket.once('error', reject);
    });

  await t.test('TLS 1.2 and 1.3 are accepted, TLS 1.1 is refused by the server', async (t) => {
    t.equal(await handshake('TLSv1.3'), 'TLSv1.3');
    t.equal(await handshake('TLSv1.2'), 'TLSv1.2');
    const refused = await handshake('TLSv1.1').then(
      (protocol) => `connected with ${protocol}`,
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    t.equal(refused, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'the server answers a protocol_version alert');
  });
});
