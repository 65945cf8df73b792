import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { exited, logTail, spawnLogged, stopChild } from './processes.js';
import { waitFor } from './wait.js';

export interface RedisConfigOptions {
  port: number;
  /** Working directory: the AOF and RDB files live here. */
  dir: string;
  password?: string;
  /**
   * Addresses to listen on (default 127.0.0.1). A data host lists its private address too
   * (keep 127.0.0.1: start-up is checked over it); protected mode then requires a password.
   */
  bind?: string[];
}

/**
 * redis.conf for Ludic. Redis holds state that must not vanish (revocations, refresh tokens,
 * rate-limit counters), so it never evicts keys and persists every second (decisions.md).
 */
export function renderRedisConfig(options: RedisConfigOptions): string {
  const lines = [
    `port ${options.port}`,
    `bind ${(options.bind ?? ['127.0.0.1']).join(' ')}`,
    'protected-mode yes',
    'daemonize no',
    `dir ${options.dir}`,
    'appendonly yes',
    'appendfsync everysec',
    'maxmemory-policy noeviction',
    // The log goes to stdout, which the launcher redirects to a file.
    'logfile ""',
  ];
  if (options.password !== undefined) {
    if (!/^[\x21-\x7e]+$/.test(options.password)) throw new Error('Redis password must be printable ASCII without spaces');
    lines.push(`requirepass ${options.password}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface RedisServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function redisUrl(port: number, password?: string): string {
  return password === undefined ? `redis://127.0.0.1:${port}` : `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
}

/** Sends PING (after AUTH when needed) and resolves true on PONG. */
export function pingRedis(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('PING timed out')));
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(`${password === undefined ? '' : `AUTH ${password}\r\n`}PING\r\n`);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.includes('+PONG')) {
        socket.end();
        resolve(true);
      } else if (received.includes('-')) {
        socket.end();
        reject(new Error(`Redis answered ${received.trim()}`));
      }
    });
  });
}

/**
 * Starts a private redis-server (the OS package) as a child of this process, with its config
 * and data in `options.dir` (and its log, unless `logFile` says otherwise), and waits until it
 * answers PING.
 */
export async function startRedis(options: RedisConfigOptions & { logFile?: string; startTimeoutMs?: number }): Promise<RedisServer> {
  mkdirSync(options.dir, { recursive: true });
  const configFile = path.join(options.dir, 'redis.conf');
  writeFileSync(configFile, renderRedisConfig(options), { mode: 0o600 });
  const logFile = options.logFile ?? path.join(options.dir, 'redis.log');
  const child = spawnLogged({ command: 'redis-server', args: [configFile], logFile });
  const spawnFailure = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run redis-server (is the redis-server package installed?): ${error.message}`)));
    void exited(child).then(() => reject(new Error(`redis-server exited with ${child.exitCode ?? child.signalCode}\n${logTail(logFile)}`)));
  });
  // Only raced during start-up; a later exit (e.g. stop()) must not surface as unhandled.
  spawnFailure.catch(() => undefined);
  const ready = waitFor(() => pingRedis(options.port, options.password), {
    what: `Redis on port ${options.port}`,
    timeoutMs: options.startTimeoutMs ?? 15_000,
    explain: () => logTail(logFile),
  });
  try {
    await Promise.race([ready, spawnFailure]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    url: redisUrl(options.port, options.password),
    port: options.port,
    process: child,
    stop: () => stopChild(child),
  };
}
