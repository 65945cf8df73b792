import { formatMoney } from '@ludic/contracts';
import { sql, type RawBuilder } from 'kysely';
import type { Db, Trx } from './repository.js';

/**
 * The ledger's invariants, checked from the data alone. Everything is read in one
 * REPEATABLE READ, read-only transaction, so movements committing meanwhile can neither cause
 * a false alarm nor hide a real one.
 */

export interface AuditCheck {
  name: string;
  description: string;
  /** How many offending rows; `examples` lists at most MAX_EXAMPLES of them. */
  violations: number;
  examples: string[];
}

export interface AuditReport {
  wallets: number;
  entries: number;
  tombstones: number;
  /** Σ balances and Σ entries, in minor units: equal when nothing was lost or created. */
  totalBalance: bigint;
  totalEntries: bigint;
  checks: AuditCheck[];
  ok: boolean;
}

const MAX_EXAMPLES = 20;

interface Offender {
  example: string;
}

const checks: Array<{ name: string; description: string; query: RawBuilder<Offender> }> = [
  {
    name: 'balance-equals-entries',
    description: "every wallet's balance equals the sum of its entries",
    query: sql`
      select format('wallet %s (user %s): balance %s, entries sum to %s', w.id, w.user_id, w.balance, coalesce(sum(e.amount), 0)) as example
      from wallet.wallets w left join wallet.ledger_entries e on e.wallet_id = w.id
      group by w.id
      having w.balance <> coalesce(sum(e.amount), 0)`,
  },
  {
    name: 'last-entry-matches-balance',
    description: "every wallet's latest entry records its current balance",
    query: sql`
      select format('wallet %s: balance %s, latest entry says %s', w.id, w.balance, last.balance_after) as example
      from wallet.wallets w
      left join lateral (
        select balance_after from wallet.ledger_entries where wallet_id = w.id order by entry_no desc limit 1
      ) last on true
      where last.balance_after is distinct from w.balance`,
  },
  {
    name: 'running-balance',
    description: "every entry's balance_after equals the running sum of its wallet's entries",
    query: sql`
      select format('entry %s (%s): balance_after %s, running sum %s', id, reference, balance_after, running) as example
      from (
        select id, reference, balance_after, sum(amount) over (partition by wallet_id order by entry_no) as running
        from wallet.ledger_entries
      ) chain
      where running <> balance_after`,
  },
  {
    name: 'no-negative-balance',
    description: 'no balance and no balance_after is below zero',
    query: sql`
      select format('wallet %s: balance %s', id, balance) as example from wallet.wallets where balance < 0
      union all
      select format('entry %s (%s): balance_after %s', id, reference, balance_after) from wallet.ledger_entries where balance_after < 0`,
  },
  {
    name: 'unique-references',
    description: 'no reference appears on two entries',
    query: sql`
      select format('reference %s on %s entries', reference, count(*)) as example
      from wallet.ledger_entries group by reference having count(*) > 1`,
  },
  {
    name: 'one-opening-entry-first',
    description: "every wallet has exactly one opening entry, and it is the wallet's first",
    query: sql`
      select format('wallet %s: %s opening entries, first entry is %s', w.id,
               (select count(*) from wallet.ledger_entries o where o.wallet_id = w.id and o.type = 'opening'),
               coalesce((select f.type from wallet.ledger_entries f where f.wallet_id = w.id order by f.entry_no limit 1), 'missing')) as example
      from wallet.wallets w
      where (select count(*) from wallet.ledger_entries o where o.wallet_id = w.id and o.type = 'opening') <> 1
         or (select f.type from wallet.ledger_entries f where f.wallet_id = w.id order by f.entry_no limit 1) is distinct from 'opening'`,
  },
  {
    name: 'amount-sign-by-type',
    description: 'stakes are negative, openings non-negative, everything else positive',
    query: sql`
      select format('entry %s (%s): %s of %s', id, reference, type, amount) as example
      from wallet.ledger_entries
      where case type when 'opening' then amount < 0 when 'bet_stake' then amount >= 0 when 'adjustment' then amount = 0 else amount <= 0 end`,
  },
  {
    name: 'reversal-matches-its-debit',
    description: "every stake reversal 'void:R' undoes exactly the stake R of the same wallet, and R's tombstone points at it",
    query: sql`
      select format('reversal %s (%s): %s', r.id, r.reference,
               case when d.id is null then 'no debit with that reference'
                    when d.type <> 'bet_stake' then 'reverses a ' || d.type
                    when d.wallet_id <> r.wallet_id then 'debit is in another wallet'
                    when d.amount <> -r.amount then format('amount %s does not undo %s', r.amount, d.amount)
                    else 'no tombstone points at it' end) as example
      from wallet.ledger_entries r
      left join wallet.ledger_entries d on d.reference = substr(r.reference, 6)
      left join wallet.voided_references v on v.reference = substr(r.reference, 6)
      where r.type = 'bet_stake_reversal'
        and (r.reference not like 'void:%' or d.id is null or d.type <> 'bet_stake' or d.wallet_id <> r.wallet_id
             or d.amount <> -r.amount or v.reversal_entry_id is distinct from r.id)`,
  },
  {
    name: 'tombstone-consistent',
    description: 'a tombstone without a reversal has no debit (it was refused); one with a reversal points at the reversal of its reference',
    query: sql`
      select format('tombstone %s: %s', t.reference,
               case when t.reversal_entry_id is null then 'a debit exists but was never reversed'
                    else 'its reversal entry is missing or belongs to another reference' end) as example
      from wallet.voided_references t
      left join wallet.ledger_entries d on d.reference = t.reference
      left join wallet.ledger_entries r on r.id = t.reversal_entry_id
      where (t.reversal_entry_id is null and d.id is not null)
         or (t.reversal_entry_id is not null and (r.id is null or r.type <> 'bet_stake_reversal' or r.reference <> 'void:' || t.reference))`,
  },
];

async function runChecks(trx: Trx): Promise<AuditReport> {
  const { rows } = await sql<{ wallets: bigint; entries: bigint; tombstones: bigint; total_balance: bigint; total_entries: bigint }>`
    select (select count(*) from wallet.wallets) as wallets,
           (select count(*) from wallet.ledger_entries) as entries,
           (select count(*) from wallet.voided_references) as tombstones,
           (select coalesce(sum(balance), 0)::bigint from wallet.wallets) as total_balance,
           (select coalesce(sum(amount), 0)::bigint from wallet.ledger_entries) as total_entries`.execute(trx);
  const totals = rows[0]!;
  const results: AuditCheck[] = [];
  for (const check of checks) {
    const offenders = await sql<Offender & { total: bigint }>`
      select example, count(*) over () as total from (${check.query}) offenders limit ${MAX_EXAMPLES}`.execute(trx);
    results.push({
      name: check.name,
      description: check.description,
      violations: Number(offenders.rows[0]?.total ?? 0n),
      examples: offenders.rows.map((row) => row.example),
    });
  }
  results.push({
    name: 'totals-agree',
    description: 'the sum of all balances equals the sum of all entries',
    violations: totals.total_balance === totals.total_entries ? 0 : 1,
    examples:
      totals.total_balance === totals.total_entries
        ? []
        : [`balances sum to ${formatMoney(totals.total_balance)}, entries to ${formatMoney(totals.total_entries)}`],
  });
  return {
    wallets: Number(totals.wallets),
    entries: Number(totals.entries),
    tombstones: Number(totals.tombstones),
    totalBalance: totals.total_balance,
    totalEntries: totals.total_entries,
    checks: results,
    ok: results.every((check) => check.violations === 0),
  };
}

/** Checks every invariant of the ledger; never writes. */
export async function auditLedger(db: Db): Promise<AuditReport> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`set transaction read only`.execute(trx);
      return runChecks(trx);
    });
}

/** The report as people read it: what was checked, what was found. */
export function formatAuditReport(report: AuditReport): string {
  const lines = [
    `wallet audit: ${report.wallets} wallets, ${report.entries} ledger entries, ${report.tombstones} void tombstones`,
    `  balances total ${formatMoney(report.totalBalance)}, entries total ${formatMoney(report.totalEntries)}`,
  ];
  for (const check of report.checks) {
    lines.push(`  ${check.violations === 0 ? 'ok  ' : 'FAIL'} ${check.name}: ${check.description}${check.violations ? ` — ${check.violations} violation(s)` : ''}`);
    for (const example of check.examples) lines.push(`         ${example}`);
  }
  lines.push(report.ok ? 'wallet audit passed' : 'wallet audit FAILED');
  return `${lines.join('\n')}\n`;
}
