import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '@ludic/stack';
import type { Test } from 'tap';

/** Runs `audit` (bets against the ledger, then the wallet's own audit) as an operator would. */
export function runAudit(databaseUrl: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=ludic-source', '--import=tsx', path.join(repoRoot, 'services/bets/src/audit.ts')], {
      cwd: repoRoot,
      // Tests judge every debit: nothing is legitimately in flight when they audit.
      env: { ...process.env, DATABASE_URL: databaseUrl, AUDIT_IN_FLIGHT_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

/** The audits pass; their report is shown when they do not. */
export async function assertAuditsPass(t: Test, databaseUrl: string): Promise<void> {
  const audit = await runAudit(databaseUrl);
  if (!t.equal(audit.code, 0, 'the bets and wallet audits pass')) t.comment(audit.output);
}
