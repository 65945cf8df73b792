import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadNginxTemplate, renderNginxConfig, type NginxConfigOptions } from './nginx-config.js';
import { repoRoot } from './paths.js';
import { exited, logTail, spawnLogged, stopChild } from './processes.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export const webDistDir = path.join(repoRoot, 'services', 'web', 'dist');

/**
 * The SPA directory nginx serves. The web client (services/web) is built by a later issue;
 * until its dist/ exists, a one-page placeholder is generated under `dataDir` so the edge
 * still serves something honest at `/`.
 */
export function resolveStaticRoot(dataDir: string): string {
  if (existsSync(path.join(webDistDir, 'index.html'))) return webDistDir;
  const placeholder = path.join(dataDir, 'web-placeholder');
  mkdirSync(placeholder, { recursive: true });
  writeFileSync(
    path.join(placeholder, 'index.html'),
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Ludic</title></head>\n' +
      '<body><h1>Ludic</h1><p>The API is up under <code>/api/</code>. The web client is not built yet ' +
      '(<code>services/web/dist</code> is missing).</p></body></html>\n',
  );
  return placeholder;
}

export type EdgeOptions = Omit<NginxConfigOptions, 'runtimeDir' | 'runAsRoot' | 'listen'> & {
  host?: string;
  port: number;
  /** Holds nginx.conf, the pid, temp files and logs. */
  runtimeDir: string;
  startTimeoutMs?: number;
};

export interface NginxServer {
  url: string;
  configFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

function errorLogOf(options: EdgeOptions): string {
  return path.join(path.resolve(options.logDir ?? options.runtimeDir), 'nginx-error.log');
}

function nginxArgs(options: EdgeOptions, configFile: string): string[] {
  // -e: nginx opens its default error log before reading the config; keep even that local.
  return ['-p', path.resolve(options.runtimeDir), '-e', errorLogOf(options), '-c', configFile];
}

/** Renders the config into `runtimeDir` and checks it with `nginx -t`; returns its path. */
export async function writeNginxConfig(options: EdgeOptions): Promise<string> {
  const runtimeDir = path.resolve(options.runtimeDir);
  if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(runtimeDir, 'tmp', kind), { recursive: true });
  const { host, port, ...rest } = options;
  const config = renderNginxConfig(loadNginxTemplate(), {
    ...rest,
    runtimeDir,
    listen: `${host ?? '127.0.0.1'}:${port}`,
    runAsRoot: process.getuid?.() === 0,
  });
  const configFile = path.join(runtimeDir, 'nginx.conf');
  writeFileSync(configFile, config);
  try {
    await run('nginx', ['-t', '-q', ...nginxArgs(options, configFile)]);
  } catch (error) {
    const { stderr, message } = error as Error & { stderr?: string };
    throw new Error(`nginx -t rejected ${configFile}: ${stderr?.trim() || message}`);
  }
  return configFile;
}

/** Starts nginx in the foreground as a child of this process and waits until it answers. */
export async function startNginx(options: EdgeOptions): Promise<NginxServer> {
  const configFile = await writeNginxConfig(options);
  const errorLog = errorLogOf(options);
  // nginx writes to its own logs; this file only catches what it prints before opening them.
  const child = spawnLogged({ command: 'nginx', args: nginxArgs(options, configFile), logFile: errorLog });
  const url = `${options.tls ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${options.port}`;
  // With TLS, readiness is asked of the plain-HTTP redirect server (any answer will do): nginx
  // binds every listening socket before it answers on any, and the probe needs no certificate.
  const httpListen = options.tls?.httpListen;
  const probe = httpListen === undefined ? `${url}/` : `http://${/^\d+$/.test(httpListen) ? `127.0.0.1:${httpListen}` : httpListen}/`;
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run nginx (is the nginx package installed?): ${error.message}`)));
    void exited(child).then(() => reject(new Error(`nginx exited with ${child.exitCode ?? child.signalCode}\n${logTail(errorLog)}`)));
  });
  failed.catch(() => undefined);
  try {
    await Promise.race([
      failed,
      waitFor(
        async () => {
          const response = await fetch(probe, { redirect: 'manual', signal: AbortSignal.timeout(1000) });
          await response.arrayBuffer();
          return true;
        },
        { what: `nginx on ${url}`, timeoutMs: options.startTimeoutMs ?? 15_000, explain: () => logTail(errorLog) },
      ),
    ]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  // SIGTERM is nginx's fast shutdown: open SSE streams must not hold a test or `down` for
  // their hour-long read timeout.
  return { url, configFile, process: child, stop: () => stopChild(child, { signal: 'SIGTERM' }) };
}
