import { randomBytes } from 'node:crypto';
import { createTestDatabase, testRedisUrl } from '@ludic/stack';
import { createDatabase, loadConfig } from '@ludic/service-kit';
import { bearer, generateSigningKey, signTestToken, tokenVerifyEnv } from '@ludic/service-kit/testing';
import type { Test } from 'tap';
import { buildApp } from '../src/app.js';
import { WalletConfigSchema } from '../src/config.js';
import type { WalletDatabase } from '../src/db.js';
import { auditLedger, formatAuditReport } from '../src/ledger-audit.js';
import { SCHEMA } from '../src/migrations/index.js';

/**
 * A wallet app on a fresh clone of the migrated database, with its own signing key and
 * internal token; plus a direct database handle for asserting on rows. Closed on teardown.
 */
export async function startWallet(t: Test, env: Record<string, string> = {}) {
  const database = await createTestDatabase(t);
  const key = generateSigningKey();
  const internalToken = randomBytes(32).toString('base64url');
  const config = loadConfig(WalletConfigSchema, {
    PORT: '0',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '10',
    REDIS_URL: testRedisUrl(),
    INTERNAL_TOKEN: internalToken,
    ...tokenVerifyEnv(key),
    ...env,
  });
  // Silent, unless WALLET_TEST_LOG names a file for the errors behind a 500 (request ids match).
  const logFile = process.env.WALLET_TEST_LOG;
  const app = await buildApp(config, { logger: logFile ? { level: 'error', file: logFile } : false });
  await app.ready();
  const direct = createDatabase<WalletDatabase>({ url: database.url, schema: SCHEMA, poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'wallet-test' });
  // Teardowns run in reverse: the app and pools close before the database is dropped.
  t.teardown(() => direct.close());
  t.teardown(() => app.close());

  const service = { 'x-internal-token': internalToken };
  const internal = (method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: service, ...(payload ? { payload } : {}) });

  /** A player with a token; `sub` fixed when given. */
  const player = (sub?: string) => {
    const { token, claims } = signTestToken(key, sub ? { sub } : {});
    return { userId: claims.sub, headers: bearer(token) };
  };

  const entries = async (userId?: string) => {
    let query = direct.db
      .selectFrom('ledger_entries as e')
      .innerJoin('wallets as w', 'w.id', 'e.wallet_id')
      .select(['e.type', 'e.amount', 'e.balance_after', 'e.reference', 'w.user_id'])
      .orderBy('e.entry_no');
    if (userId) query = query.where('w.user_id', '=', userId);
    return query.execute();
  };
  const balance = async (userId: string) =>
    (await direct.db.selectFrom('wallets').select('balance').where('user_id', '=', userId).executeTakeFirst())?.balance;

  /** Runs the audit and fails the test with its report if any invariant is broken. */
  const assertAudit = async (t: Test) => {
    const report = await auditLedger(direct.db);
    t.ok(report.ok, `audit passes\n${formatAuditReport(report)}`);
    return report;
  };

  return { app, database, direct, internal, service, player, entries, balance, assertAudit, key, config };
}

export type WalletHarness = Awaited<ReturnType<typeof startWallet>>;
