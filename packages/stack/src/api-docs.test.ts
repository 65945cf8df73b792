import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { apiDocsEnabled, publicOpenApiPath } from './api-docs.js';
import { loadNginxTemplate, renderNginxConfig, type NginxConfigOptions } from './nginx-config.js';
import { startEdge, testDir } from './testkit.js';

const run = promisify(execFile);

// Nothing listens there: these tests only read what nginx serves itself.
const nowhere = { auth: ['127.0.0.1:9'], wallet: ['127.0.0.1:9'], bets: ['127.0.0.1:9'] };

const rendering: NginxConfigOptions = { listen: '127.0.0.1:8080', upstreams: nowhere, staticRoot: '/srv/web', runtimeDir: '/data/nginx' };

t.test('LUDIC_API_DOCS is on by default, off when asked, and refused when misspelt', async (t) => {
  t.equal(apiDocsEnabled({}), true);
  t.equal(apiDocsEnabled({ LUDIC_API_DOCS: 'on' }), true);
  t.equal(apiDocsEnabled({ LUDIC_API_DOCS: 'OFF' }), false);
  t.throws(() => apiDocsEnabled({ LUDIC_API_DOCS: 'no' }), /must be "on" or "off"/);
});

t.test('the edge config serves the docs directory only when given one', async (t) => {
  const template = loadNginxTemplate();
  const on = renderNginxConfig(template, { ...rendering, apiDocsRoot: '/srv/ludic/api-docs/' });
  t.match(on, /location \/api\/docs\/ \{\n\s+alias \/srv\/ludic\/api-docs\/;/);
  t.match(on, /location = \/api\/docs \{\n\s+absolute_redirect off;\n\s+return 301 \/api\/docs\/;/);
  t.ok(on.indexOf('location /api/docs/') < on.indexOf('location /api/ {'), 'declared with the other /api locations');
  const off = renderNginxConfig(template, rendering);
  t.notMatch(off, /api\/docs\/ \{/);
  t.match(off, /API docs are off/);
  t.throws(() => renderNginxConfig(template, { ...rendering, apiDocsRoot: 'relative/dir' }), /not an absolute path/);
  t.throws(() => renderNginxConfig(template, { ...rendering, apiDocsRoot: '/srv/x; evil' }), /not an absolute path/);
});

t.test('nginx serves Swagger UI and the committed document under the strict CSP', async (t) => {
  const edge = await startEdge(nowhere, t);
  const redirect = await fetch(`${edge.url}/api/docs`, { redirect: 'manual' });
  t.equal(redirect.status, 301);
  t.equal(redirect.headers.get('location'), '/api/docs/', 'relative redirect');

  const page = await fetch(`${edge.url}/api/docs/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /text\/html/);
  t.match(page.headers.get('content-security-policy'), /script-src 'self';/, 'the edge CSP applies');
  const html = await page.text();
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  t.same(scripts.map((script) => /src="([^"]+)"/.exec(script[1]!)?.[1]), ['swagger-ui-bundle.js', 'swagger-initializer.js'], 'external scripts only');
  t.ok(scripts.every((script) => script[2]!.trim() === ''), 'no inline script');
  t.notMatch(html, /https?:\/\//, 'nothing from another origin');

  for (const [file, type] of [['swagger-ui-bundle.js', /javascript/], ['swagger-initializer.js', /javascript/], ['swagger-ui.css', /text\/css/]] as const) {
    const asset = await fetch(`${edge.url}/api/docs/${file}`);
    t.equal(asset.status, 200, file);
    t.match(asset.headers.get('content-type'), type, `${file} content type`);
    await asset.arrayBuffer();
  }
  const document = await fetch(`${edge.url}/api/docs/openapi.json`);
  t.equal(document.status, 200);
  t.same(await document.json(), JSON.parse(readFileSync(publicOpenApiPath, 'utf8')), 'the committed public document');

  const missing = await fetch(`${edge.url}/api/docs/nope.js`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { code: 'NOT_FOUND' });
});

t.test('a real browser renders every operation under that CSP', async (t) => {
  const edge = await startEdge(nowhere, t);
  const profile = testDir('chromium');
  const { stdout } = await run(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${path.join(profile, 'profile')}`, '--virtual-time-budget=20000', '--dump-dom', `${edge.url}/api/docs/`],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const document = JSON.parse(readFileSync(publicOpenApiPath, 'utf8')) as { paths: Record<string, Record<string, { summary: string }>> };
  const summaries = Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.summary));
  for (const summary of summaries) t.ok(stdout.includes(summary.replaceAll('&', '&amp;').replaceAll("'", '&#39;').replaceAll('"', '&quot;')) || stdout.includes(summary), `rendered: ${summary}`);
});

t.test('LUDIC_API_DOCS=off: /api/docs is the API 404', async (t) => {
  const edge = await startEdge(nowhere, t, { apiDocs: false });
  for (const url of ['/api/docs', '/api/docs/', '/api/docs/openapi.json']) {
    const answer = await fetch(`${edge.url}${url}`, { redirect: 'manual' });
    t.equal(answer.status, 404, url);
    t.match(await answer.json(), { code: 'NOT_FOUND' }, url);
  }
});
