import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

/** The instances behind each public upstream, as `host:port` (an `http://` prefix is accepted). */
export interface EdgeUpstreams {
  auth: string[];
  wallet: string[];
  bets: string[];
}

export interface NginxConfigOptions {
  /**
   * `listen` address of the main server: `127.0.0.1:8080` locally, `80` or `10.0.0.5:80` on a
   * server; with `tls`, the HTTPS address (`443`), rendered `listen 443 ssl http2`.
   */
  listen: string;
  /**
   * HTTPS in this nginx: the main server speaks TLS on `listen`, and a plain-HTTP server on
   * `tls.httpListen` answers every request with a 301 to the same host, path and query over
   * HTTPS (ACME http-01 challenges excepted). HSTS is sent whenever TLS is on. Deployments
   * only (and the test that exercises it): the local stack stays plain HTTP.
   */
  tls?: NginxTls;
  upstreams: EdgeUpstreams;
  /** Directory of the built SPA (index.html, assets/). */
  staticRoot: string;
  /**
   * Directory of the browsable API docs (`buildApiDocs()`), served at `/api/docs/`. Without
   * it (LUDIC_API_DOCS=off) `/api/docs` is a 404 like any other unknown API path.
   */
  apiDocsRoot?: string;
  /**
   * Local mode: nginx runs in the foreground under a supervisor and keeps its pid, temp files
   * and logs in this directory. Without it the config is for a system nginx (deploy mode):
   * daemon, /run/nginx.pid, /var/log/nginx, distribution temp paths.
   */
  runtimeDir?: string;
  /** Local mode only: where access.log and error.log go (default: the runtime directory). */
  logDir?: string;
  /**
   * Local mode only: run workers as root. Needed when nginx is started as root for the repo
   * checkout (workers must read the SPA and write the temp dirs); without it root-started
   * workers would drop to an unprivileged user that cannot.
   */
  runAsRoot?: boolean;
  /** Deploy mode only: the unprivileged worker user (Debian: www-data). */
  user?: string;
  workerProcesses?: number | 'auto';
  mimeTypesPath?: string;
  clientMaxBodySize?: string;
  /**
   * Per-client-IP limits at the edge, before the services' own per-user and per-login limits:
   * requests per second (with a burst served at once) and requests in flight. Over either,
   * the JSON 429 `RATE_LIMITED`. Default: `defaultPerIpLimits`. `'off'` for benchmarks and
   * tests that drive heavy load from one address.
   */
  perIpLimits?: PerIpLimits | 'off';
  /**
   * Where the internal load balancer for service-to-service calls listens (`127.0.0.1:8081`):
   * only `/internal/wallet/` and `/health` to the wallet instances, with retries on another
   * instance. Bets' `WALLET_URL` points at it. A private address only; without it, no such
   * server is rendered.
   */
  internalListen?: string;
  /** Idle keep-alive connections each worker keeps per upstream. */
  keepaliveConnections?: number;
  /** Passive health check: failures within failTimeout before an instance is skipped. */
  maxFails?: number;
  failTimeout?: string;
}

export interface NginxTls {
  /** PEM certificate with its chain (Let's Encrypt: `/etc/letsencrypt/live/<host>/fullchain.pem`). */
  certificate: string;
  /** Its PEM private key (`…/privkey.pem`). */
  certificateKey: string;
  /** `listen` address of the plain-HTTP server that redirects to HTTPS: `80`, `10.0.0.10:80`. */
  httpListen: string;
  /**
   * certbot's `--webroot` directory: `/.well-known/acme-challenge/<token>` on the plain-HTTP
   * server is served from `<acmeWebroot>/.well-known/acme-challenge/` instead of redirected.
   */
  acmeWebroot?: string;
}

export interface PerIpLimits {
  requestsPerSecond: number;
  burst: number;
  connections: number;
}

/** Generous: a browser session makes a few requests a second; a shared NAT address many more. */
export const defaultPerIpLimits: PerIpLimits = { requestsPerSecond: 100, burst: 200, connections: 256 };

export const nginxTemplatePath = path.join(repoRoot, 'nginx', 'ludic.conf.template');

export function loadNginxTemplate(): string {
  return readFileSync(nginxTemplatePath, 'utf8');
}

const upstreamNames: Record<keyof EdgeUpstreams, string> = {
  auth: 'ludic_auth',
  wallet: 'ludic_wallet',
  bets: 'ludic_bets',
};

function normaliseAddress(origin: string): string {
  const address = origin.replace(/^http:\/\//, '').replace(/\/$/, '');
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/.test(address)) {
    throw new Error(`nginx upstream "${origin}" is not host:port`);
  }
  return address;
}

function renderUpstreams(options: NginxConfigOptions): string {
  const maxFails = options.maxFails ?? 3;
  // Short: a 503 counts as a failed attempt (http_503 is retried on another instance), so when
  // every instance 503s because a shared dependency is down (PostgreSQL restarting), nginx
  // skips them all and answers 502 for fail_timeout after the dependency is back. A dead
  // instance still costs at most one refused connection per fail_timeout.
  const failTimeout = options.failTimeout ?? '2s';
  const keepalive = options.keepaliveConnections ?? 32;
  return (Object.keys(upstreamNames) as (keyof EdgeUpstreams)[])
    .map((service) => {
      const origins = options.upstreams[service];
      if (origins.length === 0) throw new Error(`nginx upstream for ${service} has no instances`);
      const name = upstreamNames[service];
      const servers = origins.map((origin) => `        server ${normaliseAddress(origin)} max_fails=${maxFails} fail_timeout=${failTimeout};`);
      return [
        `    upstream ${name} {`,
        `        zone ${name} 64k;`,
        '        least_conn;',
        ...servers,
        `        keepalive ${keepalive};`,
        '        keepalive_timeout 60s;',
        '    }',
        '',
      ].join('\n');
    })
    .join('\n');
}

/** An absolute path nginx can take unquoted (no whitespace, quotes, `;`, braces). */
function absolutePath(value: string, what: string): string {
  const trimmed = value.length > 1 ? value.replace(/\/$/, '') : value;
  if (!/^\/[^\s;{}'"]*$/.test(trimmed)) throw new Error(`nginx ${what} "${value}" is not an absolute path`);
  return trimmed;
}

const listenPattern = /^(?:\d{1,5}|[A-Za-z0-9.-]+:\d{1,5}|\[[0-9A-Fa-f:.]+\]:\d{1,5})$/;

function renderApiDocs(options: NginxConfigOptions): string {
  if (options.apiDocsRoot === undefined) return '        # API docs are off (LUDIC_API_DOCS=off): /api/docs is a 404.\n';
  const root = absolutePath(options.apiDocsRoot, 'api docs root');
  return [
    '        # Browsable API docs: Swagger UI and docs/openapi.json as static files (no CDN, no',
    '        # inline script). The redirect stays relative, so it survives a TLS terminator.',
    '        location = /api/docs {',
    '            absolute_redirect off;',
    '            return 301 /api/docs/;',
    '        }',
    '        location /api/docs/ {',
    `            alias ${root}/;`,
    '            index index.html;',
    '            set $ludic_cache_control "no-cache";',
    '        }',
    '',
  ].join('\n');
}

function renderPerIpLimits(options: NginxConfigOptions): { zones: string; limits: string } {
  const limits = options.perIpLimits ?? defaultPerIpLimits;
  if (limits === 'off') {
    const off = '        # Per-IP limits are off (benchmarks, load tests from one address).\n';
    return { zones: '', limits: off };
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`nginx per-IP limit ${name} must be a positive integer, got ${value}`);
  }
  return {
    zones: [
      '    # Per-client-IP limits (10 MB of state: ~160k addresses). Behind another proxy, set',
      '    # real_ip_header/set_real_ip_from so $binary_remote_addr is the client, not the proxy.',
      `    limit_req_zone $binary_remote_addr zone=ludic_per_ip:10m rate=${limits.requestsPerSecond}r/s;`,
      '    limit_conn_zone $binary_remote_addr zone=ludic_per_ip_conn:10m;',
      '',
    ].join('\n'),
    limits: [
      `        # At most ${limits.requestsPerSecond} requests/s per client IP, a burst of ${limits.burst} served at once, and`,
      `        # ${limits.connections} requests in flight; beyond that the JSON 429 (nothing reaches a service).`,
      `        limit_req zone=ludic_per_ip burst=${limits.burst} nodelay;`,
      `        limit_conn ludic_per_ip_conn ${limits.connections};`,
      '        limit_req_status 429;',
      '        limit_conn_status 429;',
      '',
    ].join('\n'),
  };
}

/**
 * Mozilla's "intermediate" profile (TLS 1.2 and 1.3; forward-secret AEAD ciphers for 1.2, the
 * OpenSSL defaults for 1.3, client's choice), minus its DHE suites: those need an
 * `ssl_dhparam` file, and every client that has them has the ECDHE ones too. No OCSP
 * stapling: Let's Encrypt ended its OCSP service in 2025 (its certificates name no responder),
 * and nginx would only warn about any certificate without one.
 */
const tlsCiphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

function renderTls(tls: NginxTls): string {
  return [
    '',
    '        # TLS (Mozilla "intermediate"). Certificates are read at start and on reload: after',
    "        # a renewal, `systemctl reload nginx` (certbot's deploy hook) picks the new one up.",
    `        ssl_certificate ${absolutePath(tls.certificate, 'TLS certificate')};`,
    `        ssl_certificate_key ${absolutePath(tls.certificateKey, 'TLS certificate key')};`,
    '        ssl_protocols TLSv1.2 TLSv1.3;',
    `        ssl_ciphers ${tlsCiphers};`,
    '        ssl_prefer_server_ciphers off;',
    '        # Resumption from a server-side cache (~40k sessions); no session tickets, whose',
    '        # never-rotated key would undo forward secrecy.',
    '        ssl_session_cache shared:ludic_tls:10m;',
    '        ssl_session_timeout 1d;',
    '        ssl_session_tickets off;',
  ].join('\n');
}

/** The port clients reach HTTPS on, for the redirect: none when it is the default 443. */
function httpsPortSuffix(listen: string): string {
  const port = /(\d+)$/.exec(listen)?.[1];
  return port === undefined || port === '443' ? '' : `:${port}`;
}

function renderHttpRedirectServer(options: NginxConfigOptions): string {
  const tls = options.tls;
  if (tls === undefined) return '';
  if (!listenPattern.test(tls.httpListen)) throw new Error(`nginx HTTP listen "${tls.httpListen}" is not a port or host:port`);
  const acme =
    tls.acmeWebroot === undefined
      ? ['        # No ACME webroot configured: challenges are redirected like everything else.']
      : [
          '        # ACME http-01 challenges (certbot --webroot) are answered here, over plain HTTP.',
          '        location ^~ /.well-known/acme-challenge/ {',
          `            root ${absolutePath(tls.acmeWebroot, 'ACME webroot')};`,
          '            default_type text/plain;',
          '            try_files $uri =404;',
          '        }',
        ];
  return [
    '',
    '    # Plain HTTP: every request is answered with a permanent redirect to the same host, path',
    '    # and query over HTTPS; nothing is proxied from here.',
    '    server {',
    `        listen ${tls.httpListen};`,
    '        server_name _;',
    ...acme,
    '        location / {',
    `            return 301 https://$host${httpsPortSuffix(options.listen)}$request_uri;`,
    '        }',
    '    }',
    '',
  ].join('\n');
}

function renderInternalServer(options: NginxConfigOptions): string {
  if (options.internalListen === undefined) return '';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(options.internalListen)) throw new Error(`nginx internal listen "${options.internalListen}" is not an address`);
  const envelope = (status: number, error: string, message: string) =>
    `'{"statusCode":${status},"code":"${status === 404 ? 'NOT_FOUND' : 'SERVICE_UNAVAILABLE'}","error":"${error}","message":"${message}"}\\n'`;
  return [
    '',
    '    # Service-to-service load balancer (bets → wallet), on a private address only: never',
    '    # the public server. Callers authenticate with x-internal-token, passed through.',
    '    server {',
    `        listen ${options.internalListen};`,
    '        server_name _;',
    `        client_max_body_size ${options.clientMaxBodySize ?? '64k'};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Request-Id $ludic_request_id;',
    '        proxy_hide_header X-Request-Id;',
    '        add_header X-Request-Id $ludic_request_id always;',
    '        proxy_connect_timeout 1s;',
    '        proxy_read_timeout 30s;',
    '        # Unlike the public server, a POST is passed to the next instance too (non_idempotent):',
    '        # every wallet internal route is idempotent by its reference (debit, credit and void',
    '        # of `bet:<id>` apply once, a repeat answers the first result), so a debit whose',
    '        # instance died mid-request is safe to send again, and failing it instead would leave',
    '        # the bet to be voided. `timeout` is deliberately absent: a slow wallet is the',
    "        # caller's to judge (bets' WALLET_TIMEOUT_MS, then void), not nginx's to duplicate.",
    '        proxy_next_upstream error http_502 http_503 non_idempotent;',
    '        proxy_next_upstream_tries 2;',
    '        proxy_next_upstream_timeout 5s;',
    '        error_page 502 504 @ludic_internal_unavailable;',
    '        location /internal/wallet/ {',
    '            proxy_pass http://ludic_wallet;',
    '        }',
    '        # Bets checks the wallet it depends on for /ready through here.',
    '        location = /health {',
    '            proxy_pass http://ludic_wallet;',
    '        }',
    '        location / {',
    '            default_type application/json;',
    `            return 404 ${envelope(404, 'Not Found', 'Route not found')};`,
    '        }',
    '        location @ludic_internal_unavailable {',
    '            default_type application/json;',
    `            return 503 ${envelope(503, 'Service Unavailable', 'No wallet instance answered')};`,
    '        }',
    '    }',
    '',
  ].join('\n');
}

function renderValues(options: NginxConfigOptions): Record<string, string> {
  const perIp = renderPerIpLimits(options);
  const common = {
    worker_processes: String(options.workerProcesses ?? 'auto'),
    mime_types: options.mimeTypesPath ?? '/etc/nginx/mime.types',
    upstreams: renderUpstreams(options),
    listen: options.tls ? `${options.listen} ssl http2` : options.listen,
    tls: options.tls ? renderTls(options.tls) : '',
    http_redirect_server: renderHttpRedirectServer(options),
    static_root: options.staticRoot,
    api_docs: renderApiDocs(options),
    client_max_body_size: options.clientMaxBodySize ?? '64k',
    per_ip_zones: perIp.zones,
    per_ip_limits: perIp.limits,
    internal_server: renderInternalServer(options),
  };
  // Browsers honour HSTS only over HTTPS, which a deployment has (here, or at a terminator in
  // front) and which TLS in this nginx gives; a local stack is plain HTTP on localhost and
  // must not pin it.
  const hsts = '        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;\n';
  const dir = options.runtimeDir;
  if (dir === undefined) {
    return {
      ...common,
      main_directives: `user ${options.user ?? 'www-data'};`,
      error_log: '/var/log/nginx/ludic-error.log',
      pid_file: '/run/nginx.pid',
      access_log: '/var/log/nginx/ludic-access.log',
      temp_paths: '',
      hsts,
    };
  }
  const logDir = options.logDir ?? dir;
  const tempPaths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `    ${kind}_temp_path ${path.join(dir, 'tmp', kind)};`)
    .join('\n');
  return {
    ...common,
    // Supervised: the supervisor owns the process, so nginx must stay in the foreground.
    main_directives: ['daemon off;', ...(options.runAsRoot ? ['user root;'] : [])].join('\n'),
    error_log: path.join(logDir, 'nginx-error.log'),
    pid_file: path.join(dir, 'nginx.pid'),
    access_log: path.join(logDir, 'nginx-access.log'),
    temp_paths: `    # Everything nginx writes stays in the runtime directory.\n${tempPaths}\n`,
    hsts: options.tls ? hsts : '',
  };
}

/**
 * Renders nginx/ludic.conf.template (a pure function of the template text and options).
 * Throws on a placeholder it does not know, so template and renderer cannot drift apart.
 */
export function renderNginxConfig(template: string, options: NginxConfigOptions): string {
  const values = renderValues(options);
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template placeholder {{${name}}} has no value`);
    return value;
  });
}
