/**
 * ./scripts/up [--reset]: (re)starts the local stack under a detached supervisor and waits
 * until it is ready. Re-running it restarts the stack with the current build; data in
 * .ludic/ is kept unless --reset wipes it.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSupervisorAlive, localStackConfig, readState, stopLocalStack, type StackState } from '../local-stack.js';
import { repoRoot } from '../paths.js';
import { isPortFree } from '../ports.js';
import { logTail, spawnLogged } from '../processes.js';
import { services } from '../services.js';
import { waitFor } from '../wait.js';

const log = (message: string) => console.log(`==> ${message}`);

async function checkPrerequisites(config: ReturnType<typeof localStackConfig>): Promise<void> {
  for (const { name } of services) {
    for (const entry of ['server.js', 'migrate.js']) {
      const file = path.join(repoRoot, 'services', name, 'dist', entry);
      if (!existsSync(file)) throw new Error(`${path.relative(repoRoot, file)} is missing: run pnpm build`);
    }
  }
  const ports: [number, string][] = [[config.httpPort, 'LUDIC_HTTP_PORT'], [config.internalPort, 'LUDIC_INTERNAL_PORT']];
  if (!config.externalDatabaseUrl) ports.push([config.postgresPort, 'LUDIC_POSTGRES_PORT']);
  if (!config.externalRedisUrl) ports.push([config.redisPort, 'LUDIC_REDIS_PORT']);
  for (const { name, basePort } of services) {
    for (let index = 1; index <= config.instancesPerService; index += 1) ports.push([basePort + index, `${name} instance ${index}`]);
  }
  for (const [port, what] of ports) {
    if (!(await isPortFree(port))) throw new Error(`port ${port} (${what}) is already in use`);
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--reset');
  if (unknown.length > 0) {
    console.error(`usage: ./scripts/up [--reset]   (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  const config = localStackConfig();
  if (await stopLocalStack(config, log)) log('stopped the previous stack; starting it again');
  if (args.includes('--reset')) {
    log(`--reset: wiping ${config.dir}`);
    rmSync(config.dir, { recursive: true, force: true });
  }
  await checkPrerequisites(config);

  mkdirSync(config.logDir, { recursive: true });
  const supervisorLog = path.join(config.logDir, 'supervisor.log');
  const self = fileURLToPath(import.meta.url);
  const supervisor = path.join(path.dirname(self), `supervisor${path.extname(self)}`);
  const loader = supervisor.endsWith('.ts') ? ['--import', 'tsx', '--conditions=ludic-source'] : [];
  const child = spawnLogged({ command: process.execPath, args: [...loader, supervisor], logFile: supervisorLog, cwd: repoRoot, detached: true });
  child.unref();
  log(`supervisor started (pid ${child.pid}); logs in ${path.relative(process.cwd(), config.logDir) || '.'}/`);

  let final: StackState;
  try {
    final = await waitFor(
      async () => {
        const state = readState(config);
        if (state && state.supervisorPid === child.pid && (state.status === 'ready' || state.status === 'failed')) return state;
        if (child.exitCode !== null || (state && !isSupervisorAlive(state))) throw new Error('the supervisor exited');
        return undefined;
      },
      { what: 'the stack to be ready', timeoutMs: 300_000, intervalMs: 250 },
    );
  } catch (error) {
    console.error((error as Error).message);
    console.error(logTail(supervisorLog));
    await stopLocalStack(config, log);
    return 1;
  }
  if (final.status === 'failed') {
    console.error(`start-up failed: ${final.error ?? 'see the log'}`);
    console.error(`supervisor log: ${supervisorLog}`);
    await stopLocalStack(config, log);
    return 1;
  }
  log(`Ludic is up: ${final.url}`);
  log(`instances: ${final.processes.map((recorded) => `${recorded.name}${recorded.port ? `:${recorded.port}` : ''}`).join(', ')}`);
  log('stop it with ./scripts/down');
  return 0;
}

process.exitCode = await main();
