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
  /** `listen` argument: `127.0.0.1:8080` locally, `80` or `10.0.0.5:80` on a server. */
  listen: string;
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
  /** Idle keep-alive connections each worker keeps per upstream. */
  keepaliveConnections?: number;
  /** Passive health check: failures within failTimeout before an instance is skipped. */
  maxFails?: number;
  failTimeout?: string;
}

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
  const failTimeout = options.failTimeout ?? '10s';
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

function renderApiDocs(options: NginxConfigOptions): string {
  if (options.apiDocsRoot === undefined) return '        # API docs are off (LUDIC_API_DOCS=off): /api/docs is a 404.\n';
  const root = options.apiDocsRoot.replace(/\/$/, '');
  if (!/^\/[^\s;{}'"]*$/.test(root)) throw new Error(`nginx api docs root "${options.apiDocsRoot}" is not an absolute path`);
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

function renderValues(options: NginxConfigOptions): Record<string, string> {
  const common = {
    worker_processes: String(options.workerProcesses ?? 'auto'),
    mime_types: options.mimeTypesPath ?? '/etc/nginx/mime.types',
    upstreams: renderUpstreams(options),
    listen: options.listen,
    static_root: options.staticRoot,
    api_docs: renderApiDocs(options),
    client_max_body_size: options.clientMaxBodySize ?? '64k',
  };
  const dir = options.runtimeDir;
  if (dir === undefined) {
    return {
      ...common,
      main_directives: `user ${options.user ?? 'www-data'};`,
      error_log: '/var/log/nginx/ludic-error.log',
      pid_file: '/run/nginx.pid',
      access_log: '/var/log/nginx/ludic-access.log',
      temp_paths: '',
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
