import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths.js';
import { DEMO_PLAYER, ensureAccount } from './seed-accounts.js';

/**
 * Demo data for the local stack. `./scripts/up` runs every step, in order, once all instances
 * are ready and on every start, so each step must be idempotent (create what is missing,
 * leave the rest). Each issue adds the steps for what it builds: the admin account
 * (ADMIN_EMAIL/ADMIN_PASSWORD) and a demo player with auth, a slate of fixtures with bets.
 */
export interface SeedContext {
  /** The edge URL: seed through the public API where one exists. */
  edgeUrl: string;
  databaseUrl: string;
  /** Shared secret for service-to-service routes. */
  internalToken: string;
  /** The admin account to create (ADMIN_EMAIL/ADMIN_PASSWORD); it is listed in ADMIN_EMAILS. */
  adminEmail: string;
  adminPassword: string;
  log(message: string): void;
}

export interface SeedStep {
  name: string;
  run(context: SeedContext): Promise<void>;
}

/** Runs a service's compiled seed command (`services/<name>/dist/<script>.js`) against the stack's database. */
async function runSeedCommand(service: string, script: string, context: SeedContext): Promise<void> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'services', service, 'dist', `${script}.js`)], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: context.databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  for (const line of output.trim().split('\n').filter(Boolean)) context.log(line);
  if (code !== 0) throw new Error(`${service} ${script} exited with ${code}`);
}

export const seedSteps: readonly SeedStep[] = [
  { name: 'auth: admin account', run: (context) => ensureAccount(context, { email: context.adminEmail, password: context.adminPassword, name: 'Ludic Admin' }) },
  { name: 'auth: demo player', run: (context) => ensureAccount(context, DEMO_PLAYER) },
  // A slate of upcoming football fixtures with odds, unless upcoming events are already on the board.
  { name: 'bets: upcoming fixtures', run: (context) => runSeedCommand('bets', 'seed', context) },
];

export async function seed(context: SeedContext): Promise<void> {
  for (const step of seedSteps) {
    context.log(`seeding: ${step.name}`);
    await step.run(context);
  }
}
