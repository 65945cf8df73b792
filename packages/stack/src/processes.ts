import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnLoggedOptions {
  command: string;
  args: string[];
  /** stdout and stderr are appended here, so a failing process can always be diagnosed. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Own process group and no tie to the parent: survives the parent (used by the supervisor). */
  detached?: boolean;
  uid?: number;
  gid?: number;
}

export function spawnLogged(options: SpawnLoggedOptions): ChildProcess {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  try {
    return spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: options.detached ?? false,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
}

/** Runs a command to completion; its exit code (1 if killed) and what it wrote to stdout and stderr. */
export async function runToCompletion(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode ?? 1));
  });
  return { code, stdout, stderr };
}

/**
 * An integer command-line option (`--name`) of at least `minimum`, or `fallback` when absent;
 * otherwise an error that quotes the tool's usage line.
 */
export function integerOption(value: string | undefined, name: string, fallback: number, usage: string, minimum = 1): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new Error(`--${name} must be an integer ≥ ${minimum}\n${usage}`);
  return parsed;
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(logFile: string, lines = 30): string {
  if (!existsSync(logFile)) return `(no log at ${logFile})`;
  const text = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return `--- last lines of ${logFile} ---\n${text}`;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process (Linux /proc), or undefined when it is gone. */
export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Resolves once a child has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Stops a child: `signal` first (SIGTERM lets services drain), SIGKILL after `graceMs`.
 */
export async function stopChild(child: ChildProcess, options: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  const escalation = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 10_000);
  child.kill(options.signal ?? 'SIGTERM');
  await done;
  clearTimeout(escalation);
}

/**
 * Stops a process known only by pid (e.g. recorded by a supervisor that died), escalating to
 * SIGKILL after `graceMs`. `expectedCommand` guards against a recycled pid: the process is
 * left alone unless its command line contains it.
 */
export async function stopPid(pid: number, options: { expectedCommand: string; signal?: NodeJS.Signals; graceMs?: number }): Promise<void> {
  const commandLine = commandLineOf(pid);
  if (commandLine === undefined || !commandLine.includes(options.expectedCommand)) return;
  process.kill(pid, options.signal ?? 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 10_000);
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
