/**
 * Prints the edge config for a multi-server deployment (a system nginx) to stdout:
 *
 *   node --import tsx packages/stack/src/cli/render-nginx.ts \
 *     --listen 80 --static-root /srv/ludic/web \
 *     --auth 10.0.0.11:4101,10.0.0.12:4101 \
 *     --wallet 10.0.0.11:4201,10.0.0.12:4201 \
 *     --bets 10.0.0.11:4301,10.0.0.12:4301 > /etc/nginx/nginx.conf
 *
 * Optional: --user (default www-data), --client-max-body-size (default 64k),
 * --keepalive (idle upstream connections per worker, default 32), --api-docs-dir DIR (copies
 * the browsable API docs there and serves them at /api/docs; left out when LUDIC_API_DOCS=off),
 * --per-ip-rate / --per-ip-burst / --per-ip-connections (per client IP: requests per second,
 * burst, requests in flight; defaults 100, 200, 256), --per-ip-limits-off (benchmarks).
 *
 * HTTPS in this nginx: --tls-cert FILE --tls-key FILE (both, absolute paths) make the main
 * server `listen <--listen, default 443> ssl http2`, and a plain-HTTP server on --http-listen
 * (default 80) redirects everything to HTTPS except ACME challenges, served from
 * --acme-webroot DIR when given. See nginx/README.md.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { apiDocsEnabled, buildApiDocs } from '../api-docs.js';
import { defaultPerIpLimits, loadNginxTemplate, renderNginxConfig } from '../nginx-config.js';

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'http-listen': { type: 'string', default: '80' },
    'acme-webroot': { type: 'string' },
    'static-root': { type: 'string' },
    auth: { type: 'string' },
    wallet: { type: 'string' },
    bets: { type: 'string' },
    user: { type: 'string', default: 'www-data' },
    'client-max-body-size': { type: 'string', default: '64k' },
    keepalive: { type: 'string', default: '32' },
    'api-docs-dir': { type: 'string' },
    'per-ip-rate': { type: 'string', default: String(defaultPerIpLimits.requestsPerSecond) },
    'per-ip-burst': { type: 'string', default: String(defaultPerIpLimits.burst) },
    'per-ip-connections': { type: 'string', default: String(defaultPerIpLimits.connections) },
    'per-ip-limits-off': { type: 'boolean', default: false },
  },
});

function required(name: 'static-root' | 'auth' | 'wallet' | 'bets'): string {
  const value = values[name];
  if (!value) {
    console.error(`--${name} is required (see the usage at the top of ${import.meta.url})`);
    process.exit(2);
  }
  return value;
}

function tlsOption() {
  const certificate = values['tls-cert'];
  const certificateKey = values['tls-key'];
  if (certificate === undefined && certificateKey === undefined) {
    if (values['acme-webroot'] !== undefined) {
      console.error('--acme-webroot needs --tls-cert and --tls-key (without TLS there is no redirect to exempt challenges from)');
      process.exit(2);
    }
    return undefined;
  }
  if (!certificate || !certificateKey) {
    console.error('--tls-cert and --tls-key go together');
    process.exit(2);
  }
  return { certificate, certificateKey, httpListen: values['http-listen'], acmeWebroot: values['acme-webroot'] };
}

const tls = tlsOption();
const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

process.stdout.write(
  renderNginxConfig(loadNginxTemplate(), {
    listen: values.listen ?? (tls ? '443' : '80'),
    tls,
    staticRoot: required('static-root'),
    upstreams: { auth: list(required('auth')), wallet: list(required('wallet')), bets: list(required('bets')) },
    user: values.user,
    clientMaxBodySize: values['client-max-body-size'],
    keepaliveConnections: Number(values.keepalive),
    perIpLimits: values['per-ip-limits-off']
      ? 'off'
      : { requestsPerSecond: Number(values['per-ip-rate']), burst: Number(values['per-ip-burst']), connections: Number(values['per-ip-connections']) },
    apiDocsRoot: values['api-docs-dir'] && apiDocsEnabled() ? buildApiDocs(path.resolve(values['api-docs-dir'])) : undefined,
  }),
);
