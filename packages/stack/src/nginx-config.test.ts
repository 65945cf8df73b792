import t from 'tap';
import { loadNginxTemplate, renderNginxConfig, type NginxConfigOptions } from './nginx-config.js';

const template = loadNginxTemplate();
const local: NginxConfigOptions = {
  listen: '127.0.0.1:8080',
  upstreams: {
    auth: ['127.0.0.1:4101', 'http://127.0.0.1:4102'],
    wallet: ['127.0.0.1:4201'],
    bets: ['127.0.0.1:4301', '127.0.0.1:4302/'],
  },
  staticRoot: '/srv/web',
  runtimeDir: '/data/nginx',
  logDir: '/data/logs',
};

function upstreamBlock(config: string, name: string): string {
  const match = new RegExp(`upstream ${name} \\{([^}]*)\\}`).exec(config);
  if (!match?.[1]) throw new Error(`no upstream ${name}`);
  return match[1];
}

t.test('one least_conn upstream per service with zone, keepalive and passive health checks', async (t) => {
  const config = renderNginxConfig(template, local);
  const auth = upstreamBlock(config, 'ludic_auth');
  t.match(auth, /zone ludic_auth 64k;/);
  t.match(auth, /least_conn;/);
  t.match(auth, /server 127\.0\.0\.1:4101 max_fails=3 fail_timeout=2s;/);
  t.match(auth, /server 127\.0\.0\.1:4102 max_fails=3 fail_timeout=2s;/, 'http:// prefix stripped');
  t.match(auth, /keepalive 32;/);
  t.equal(upstreamBlock(config, 'ludic_wallet').match(/server /g)?.length, 1);
  t.match(upstreamBlock(config, 'ludic_bets'), /server 127\.0\.0\.1:4302 /, 'trailing slash stripped');
});

t.test('local mode keeps state in the runtime dir and stays in the foreground', async (t) => {
  const config = renderNginxConfig(template, local);
  t.match(config, /^daemon off;$/m);
  t.match(config, /^pid \/data\/nginx\/nginx\.pid;$/m);
  t.match(config, /^error_log \/data\/logs\/nginx-error\.log warn;$/m);
  t.match(config, /access_log \/data\/logs\/nginx-access\.log ludic;/);
  t.match(config, /proxy_temp_path \/data\/nginx\/tmp\/proxy;/);
  t.match(config, /listen 127\.0\.0\.1:8080;/);
  t.match(config, /root \/srv\/web;/);
  t.notMatch(config, /^user /m, 'no user directive unless running as root');
  t.match(renderNginxConfig(template, { ...local, runAsRoot: true }), /^user root;$/m);
  t.notMatch(config, /\{\{/, 'every placeholder filled');
});

t.test('deploy mode is a system nginx config', async (t) => {
  const { runtimeDir: _runtimeDir, logDir: _logDir, ...deploy } = local;
  const config = renderNginxConfig(template, { ...deploy, listen: '80', upstreams: { auth: ['10.0.0.11:4101'], wallet: ['10.0.0.11:4201'], bets: ['10.0.0.12:4301'] } });
  t.notMatch(config, /daemon off/);
  t.match(config, /^user www-data;$/m);
  t.match(config, /^pid \/run\/nginx\.pid;$/m);
  t.match(config, /access_log \/var\/log\/nginx\/ludic-access\.log ludic;/);
  t.notMatch(config, /_temp_path/);
  t.match(config, /listen 80;/);
  t.match(config, /server 10\.0\.0\.12:4301 /);
});

t.test('retries only what nginx may retry safely', async (t) => {
  const config = renderNginxConfig(template, local);
  t.match(config, /^\s*proxy_next_upstream error timeout http_502 http_503;$/m);
  t.notMatch(config, /^\s*proxy_next_upstream [^;]*non_idempotent/m, 'non-idempotent requests are never retried');
  t.match(config, /proxy_http_version 1\.1;/);
  t.match(config, /proxy_set_header Connection "";/);
});

t.test('body limit, security headers and no server tokens', async (t) => {
  const config = renderNginxConfig(template, { ...local, clientMaxBodySize: '16k' });
  t.match(config, /client_max_body_size 16k;/);
  t.match(config, /"message":"Request body is larger than 16k"/);
  t.match(config, /server_tokens off;/);
  for (const header of ['X-Content-Type-Options', 'X-Frame-Options "DENY"', 'Referrer-Policy', 'Content-Security-Policy']) {
    t.match(config, `add_header ${header}`);
  }
});

t.test('rejects what would render a broken config', async (t) => {
  t.throws(() => renderNginxConfig(template, { ...local, upstreams: { ...local.upstreams, wallet: [] } }), /wallet has no instances/);
  t.throws(() => renderNginxConfig(template, { ...local, upstreams: { ...local.upstreams, bets: ['127.0.0.1'] } }), /not host:port/);
  t.throws(() => renderNginxConfig(template, { ...local, upstreams: { ...local.upstreams, bets: ['a b:1; evil'] } }), /not host:port/);
  t.throws(() => renderNginxConfig('{{nope}}', local), /\{\{nope\}\} has no value/);
});
