import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { entryCommand, getFreePort, testRedisUrl, testServiceRuntime, waitFor, waitForHttp, type ServiceName } from '@ludic/stack';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = ['--import', 'tsx', '--conditions=ludic-source'];
const adminUrl = () => {
  const url = process.env.LUDIC_TEST_DATABASE_URL;
  if (!url) throw new Error('LUDIC_TEST_DATABASE_URL is not set: run tests through ./scripts/test');
  return url;
};

function runToExit(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms: ${args.join(' ')}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

t.test('bad configuration stops every service with a message naming the variable', async (t) => {
  const base = {
    PATH: process.env.PATH,
    PORT: '0',
    DATABASE_URL: adminUrl(),
    REDIS_URL: testRedisUrl(),
    INTERNAL_TOKEN: 'x'.repeat(40),
    WALLET_URL: 'http://127.0.0.1:1',
  };
  const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['auth-gateway', { ...base, DATABASE_URL: undefined }, /DATABASE_URL is required/],
    ['auth-gateway', { ...base, PORT: 'http' }, /PORT/],
    ['wallet', { ...base, REDIS_URL: 'localhost:6379' }, /REDIS_URL/],
    ['wallet', { ...base, INTERNAL_TOKEN: 'short' }, /INTERNAL_TOKEN/],
    ['bets', { ...base, WALLET_URL: undefined }, /WALLET_URL is required/],
    ['bets', { ...base, LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
  ];
  await Promise.all(
    cases.map(async ([service, env, message]) => {
      const server = entryCommand(service as ServiceName, 'server', testServiceRuntime());
      const { code, stderr } = await runToExit(server.command, server.args, env);
      t.equal(code, 78, `${service} exits with EX_CONFIG for ${message}`);
      t.match(stderr, message, `${service}: ${stderr.trim()}`);
    }),
  );
});

t.test('SIGTERM under load finishes every in-flight request, then the process exits', async (t) => {
  const port = await getFreePort();
  const child = spawn(process.execPath, [...tsx, path.join(here, '..', 'test', 'fixtures', 'slow-service.ts')], {
    env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: adminUrl(), REDIS_URL: testRedisUrl(), LOG_LEVEL: 'warn', SLOW_MS: '800' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/health`, { what: 'the slow service', timeoutMs: 30_000 });

  const inFlight = Array.from({ length: 40 }, () =>
    fetch(`${origin}/slow`).then(async (res) => ({ status: res.status, body: (await res.json()) as { done?: boolean } })),
  );
  await waitFor(
    async () => ((await (await fetch(`${origin}/started`)).json()) as { started: number }).started === 40,
    { what: 'all 40 slow requests to be in flight', timeoutMs: 30_000, intervalMs: 20 },
  );
  child.kill('SIGTERM');

  const results = await Promise.all(inFlight);
  t.equal(results.filter((r) => r.status === 200 && r.body.done === true).length, 40, 'all 40 in-flight requests completed');
  // close-with-grace exits 1 when SHUTDOWN_TIMEOUT_MS passes first (e.g. idle keep-alive
  // sockets holding the server open), so 0 means the drain finished by itself.
  t.equal(await exited, 0, 'the process exits cleanly, before the shutdown deadline');
  await t.rejects(fetch(`${origin}/health`), 'nothing listens afterwards');
});
