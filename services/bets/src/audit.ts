import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { ConfigError, loadConfig } from '@ludic/service-kit';
import pg from 'pg';
import { auditBetsAgainstLedger, formatCrossAuditReport } from './cross-audit.js';

/**
 * `pnpm --filter @ludic/bets audit`: bets against the wallet ledger (see cross-audit.ts), then
 * the wallet's own audit, run as the wallet's command so its checks stay the wallet's. Exits 1
 * on any violation, 2 when it could not run.
 */
const AuditConfigSchema = Type.Object({
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** A debit younger than this without a bet may belong to a bet still committing: not judged. */
  AUDIT_IN_FLIGHT_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  AUDIT_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 600_000 }),
});

/** The wallet's audit command, in the same form (compiled or sources) as this one. */
function walletAuditCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const walletDir = path.resolve(path.dirname(here), '../../wallet');
  return here.endsWith('.ts')
    ? ['--conditions=ludic-source', '--import=tsx', path.join(walletDir, 'src/audit.ts')]
    : [path.join(walletDir, 'dist/audit.js')];
}

function runWalletAudit(databaseUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, walletAuditCommand(), { stdio: 'inherit', env: { ...process.env, DATABASE_URL: databaseUrl } });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 2));
  });
}

try {
  const config = loadConfig(AuditConfigSchema);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1, statement_timeout: config.AUDIT_STATEMENT_TIMEOUT_MS, application_name: 'bets-audit' });
  let crossOk = false;
  try {
    const report = await auditBetsAgainstLedger(pool, config.AUDIT_IN_FLIGHT_MS);
    process.stdout.write(formatCrossAuditReport(report));
    crossOk = report.ok;
  } finally {
    await pool.end();
  }
  const walletExit = await runWalletAudit(config.DATABASE_URL);
  process.exitCode = walletExit === 2 ? 2 : crossOk && walletExit === 0 ? 0 : 1;
} catch (error) {
  process.stderr.write(`bets audit could not run: ${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
  process.exitCode = 2;
}
