import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The rehearsal's "machines": network namespaces on this one host, each with a veth pair to a
 * bridge in the root namespace, on a private /24. The root namespace (the test, the operator's
 * laptop) sits on the bridge too, so it reaches every host like a client on the same network.
 */

/** Every namespace and link the rehearsal creates starts with this, so stale ones can be found. */
export const prefix = 'ludrh';
export const bridge = `${prefix}-br`;
export const subnet = '10.77.0.0/24';
export const clientAddress = '10.77.0.1';

export type HostName = 'lb' | 'app1' | 'app2' | 'data';

export interface Host {
  name: HostName;
  namespace: string;
  address: string;
  /** The root-namespace end of its veth pair: setting it down cuts the host off the network. */
  link: string;
}

export const hosts: Record<HostName, Host> = Object.fromEntries(
  (
    [
      ['lb', '10.77.0.10'],
      ['app1', '10.77.0.11'],
      ['app2', '10.77.0.12'],
      ['data', '10.77.0.20'],
    ] as const
  ).map(([name, address]) => [name, { name, namespace: `${prefix}-${name}`, address, link: `${prefix}-${name}-h` }]),
) as Record<HostName, Host>;

function ip(args: string[], options: { allowFailure?: boolean } = {}): string {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0 && !options.allowFailure) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
  return result.stdout;
}

/**
 * The namespace names are fixed, so two rehearsals on one machine (two engineers' test runs)
 * would tear down each other's hosts: the second waits for the first. A lock whose owner has
 * died is stale (a killed run) and taken over; its namespaces are then removed as stale too.
 */
const lockFile = `/run/${prefix}.lock`;

function lockOwnerAlive(): boolean {
  try {
    process.kill(Number(readFileSync(lockFile, 'utf8')), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireHostLock(timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!lockOwnerAlive()) rmSync(lockFile, { force: true });
    else if (Date.now() > deadline) throw new Error(`another rehearsal (pid ${readFileSync(lockFile, 'utf8')}) holds ${lockFile}`);
    else await sleep(500);
  }
}

/** Namespaces and links left by an earlier run (even one that was killed) with our prefix. */
export function staleResources(): { namespaces: string[]; links: string[] } {
  const namespaces = ip(['netns', 'list'], { allowFailure: true })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith(`${prefix}-`));
  const links = ip(['-o', 'link', 'show'], { allowFailure: true })
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name.startsWith(`${prefix}-`));
  return { namespaces, links };
}

/**
 * Deletes every namespace and link with our prefix, and first ends any process still inside
 * one (left by a run that was killed).
 */
export async function removeNetwork(): Promise<void> {
  const { namespaces, links } = staleResources();
  // A run killed before its teardown leaves its processes (services, nginx, PostgreSQL) in its
  // namespaces: end them (by the pids the namespace lists) before the namespace goes.
  const leftovers = namespaces.flatMap((namespace) => ip(['netns', 'pids', namespace], { allowFailure: true }).split('\n').filter(Boolean).map(Number));
  for (const pid of leftovers) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (leftovers.some(alive) && Date.now() < deadline) await sleep(200);
  for (const pid of leftovers.filter(alive)) signal(pid, 'SIGKILL');
  for (const namespace of namespaces) ip(['netns', 'delete', namespace], { allowFailure: true });
  // Deleting a namespace destroys its veth ends, and the root ends with them (asynchronously):
  // a link already gone is not an error.
  for (const link of links) ip(['link', 'delete', link], { allowFailure: true });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function createNetwork(): Promise<void> {
  await removeNetwork();
  ip(['link', 'add', bridge, 'type', 'bridge']);
  ip(['addr', 'add', `${clientAddress}/24`, 'dev', bridge]);
  ip(['link', 'set', bridge, 'up']);
  for (const host of Object.values(hosts)) {
    ip(['netns', 'add', host.namespace]);
    ip(['link', 'add', host.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace]);
    ip(['link', 'set', host.link, 'master', bridge, 'up']);
    ip(['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    ip(['-n', host.namespace, 'link', 'set', 'eth0', 'up']);
    // Each host's own services check themselves (and PostgreSQL its start-up) over loopback.
    ip(['-n', host.namespace, 'link', 'set', 'lo', 'up']);
  }
}

/** Unplugs (or plugs back) a host's network cable. */
export function setHostLink(host: Host, up: boolean): void {
  ip(['link', 'set', host.link, up ? 'up' : 'down']);
}

/** `command args…` run inside the host's namespace (`ip netns exec` execs it: same pid). */
export function inHost(host: Host, command: string, args: string[]): { command: string; args: string[] } {
  return { command: 'ip', args: ['netns', 'exec', host.namespace, command, ...args] };
}
