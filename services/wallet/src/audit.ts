import { Type } from '@sinclair/typebox';
import { ConfigError, createDatabase, loadConfig } from '@ludic/service-kit';
import type { WalletDatabase } from './db.js';
import { auditLedger, formatAuditReport } from './ledger-audit.js';
import { SCHEMA } from './migrations/index.js';

/**
 * `pnpm --filter @ludic/wallet audit`: checks every wallet against its ledger, prints what it
 * checked and found, and exits 1 on any violation (2 when it could not run at all).
 */
const AuditConfigSchema = Type.Object({
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** A full audit reads the whole ledger; give it longer than a request gets. */
  AUDIT_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 600_000 }),
});

try {
  const config = loadConfig(AuditConfigSchema);
  const database = createDatabase<WalletDatabase>({
    url: config.DATABASE_URL,
    schema: SCHEMA,
    poolSize: 1,
    statementTimeoutMs: config.AUDIT_STATEMENT_TIMEOUT_MS,
    applicationName: 'wallet-audit',
  });
  try {
    const report = await auditLedger(database.db);
    process.stdout.write(formatAuditReport(report));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await database.close();
  }
} catch (error) {
  process.stderr.write(`wallet audit could not run: ${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
  process.exitCode = 2;
}
