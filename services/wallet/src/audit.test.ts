import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql, type RawBuilder } from 'kysely';
import t, { type Test } from 'tap';
import { startWallet } from '../test/helpers.js';
import { auditLedger } from './ledger-audit.js';

const auditScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'audit.ts');

/** Runs the audit command as operators do (from sources) and returns its exit code and output. */
async function runAuditCommand(databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=ludic-source', '--import=tsx', auditScript], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A ledger with some of everything: openings, stakes, a reversal, a tombstone, payouts, deposits. */
async function busyWallet(t: Test) {
  const w = await startWallet(t);
  const player = w.player('auditee');
  await w.internal('POST', '/internal/wallet/debit', { userId: 'auditee', amount: '10.00', reference: 'bet:a1' });
  await w.internal('POST', '/internal/wallet/debit', { userId: 'auditee', amount: '20.00', reference: 'bet:a2' });
  await w.internal('POST', '/internal/wallet/void', { reference: 'bet:a2' });
  await w.internal('POST', '/internal/wallet/void', { reference: 'bet:never' });
  await w.internal('POST', '/internal/wallet/credit', { userId: 'auditee', amount: '25.00', reference: 'payout:a1', type: 'bet_payout' });
  await w.app.inject({ method: 'POST', url: '/api/wallet/deposit', headers: { ...player.headers, 'idempotency-key': 'a' }, payload: { amount: '5.00' } });
  await w.internal('POST', '/internal/wallet/debit', { userId: 'bystander', amount: '1.00', reference: 'bet:b1' });
  return w;
}

t.test('a consistent ledger passes, and the command says what it checked', async (t) => {
  const w = await busyWallet(t);
  const report = await w.assertAudit(t);
  t.match(report, { wallets: 2, entries: 8, tombstones: 2, totalBalance: 201900n, totalEntries: 201900n });
  const run = await runAuditCommand(w.database.url);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /2 wallets, 8 ledger entries, 2 void tombstones/);
  for (const check of report.checks) t.match(run.stdout, new RegExp(`ok\\s+${check.name}`));
  t.match(run.stdout, /wallet audit passed/);
});

/**
 * Tampering that the application and most constraints would stop: done as the superuser with
 * triggers off (`session_replication_role = replica`) or constraints dropped, on a throwaway
 * database.
 */
const tamperings: Array<{ what: string; statements: RawBuilder<unknown>[]; fails: string[] }> = [
  {
    what: 'a balance changed without an entry',
    statements: [sql`update wallet.wallets set balance = balance + 1 where user_id = 'auditee'`],
    fails: ['balance-equals-entries', 'last-entry-matches-balance', 'totals-agree'],
  },
  {
    what: 'an entry amount rewritten',
    statements: [sql`update wallet.ledger_entries set amount = -900 where reference = 'bet:a1'`],
    fails: ['balance-equals-entries', 'running-balance', 'totals-agree'],
  },
  {
    what: 'a reversal without its debit, balance adjusted to match',
    statements: [
      sql`insert into wallet.ledger_entries (wallet_id, type, amount, balance_after, reference)
          select id, 'bet_stake_reversal', 700, balance + 700, 'void:bet:ghost' from wallet.wallets where user_id = 'bystander'`,
      sql`update wallet.wallets set balance = balance + 700 where user_id = 'bystander'`,
    ],
    fails: ['reversal-matches-its-debit'],
  },
  {
    what: 'a tombstone over a debit that was never reversed',
    statements: [sql`insert into wallet.voided_references (reference) values ('bet:a1')`],
    fails: ['tombstone-consistent'],
  },
  {
    what: 'a negative balance',
    statements: [
      sql`alter table wallet.wallets drop constraint wallets_balance_check`,
      sql`alter table wallet.ledger_entries drop constraint ledger_entries_balance_after_check`,
      sql`insert into wallet.ledger_entries (wallet_id, type, amount, balance_after, reference)
          select id, 'adjustment', -(balance + 100), -100, 'adjust:overdraw' from wallet.wallets where user_id = 'bystander'`,
      sql`update wallet.wallets set balance = -100 where user_id = 'bystander'`,
    ],
    fails: ['no-negative-balance'],
  },
  {
    what: 'a duplicated reference',
    statements: [
      sql`alter table wallet.ledger_entries drop constraint ledger_entries_reference_key`,
      sql`insert into wallet.ledger_entries (wallet_id, type, amount, balance_after, reference)
          select id, 'bet_payout', 1, balance + 1, 'payout:a1' from wallet.wallets where user_id = 'auditee'`,
      sql`update wallet.wallets set balance = balance + 1 where user_id = 'auditee'`,
    ],
    fails: ['unique-references'],
  },
  {
    what: 'an opening entry removed',
    statements: [sql`delete from wallet.ledger_entries where type = 'opening' and wallet_id = (select id from wallet.wallets where user_id = 'bystander')`],
    fails: ['one-opening-entry-first', 'balance-equals-entries', 'running-balance'],
  },
];

for (const [index, tampering] of tamperings.entries()) {
  t.test(`the audit catches ${tampering.what}`, async (t) => {
    const w = await busyWallet(t);
    await w.direct.db.connection().execute(async (session) => {
      await sql`set session_replication_role = replica`.execute(session);
      for (const statement of tampering.statements) await statement.execute(session);
    });
    const report = await auditLedger(w.direct.db);
    t.notOk(report.ok);
    const failing = report.checks.filter((check) => check.violations > 0).map((check) => check.name);
    for (const name of tampering.fails) t.ok(failing.includes(name), `${name} fails (failing: ${failing.join(', ')})`);
    // The command prints the same report; proving its exit code once keeps the file fast.
    if (index > 0) return;
    const run = await runAuditCommand(w.database.url);
    t.equal(run.code, 1, 'the command exits non-zero');
    for (const name of tampering.fails) t.match(run.stdout, new RegExp(`FAIL ${name}`));
    t.match(run.stdout, /wallet audit FAILED/);
  });
}

t.test('the command refuses to run without a database and says why', async (t) => {
  const run = await runAuditCommand('not-a-url');
  t.equal(run.code, 2);
  t.match(run.stderr, /DATABASE_URL/);
});
