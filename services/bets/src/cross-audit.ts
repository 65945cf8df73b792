import type pg from 'pg';

/**
 * Bets checked against the wallet ledger. This operator tool reads both schemas directly, in
 * one REPEATABLE READ, read-only transaction: a single snapshot of both sides, so a bet
 * settling or a debit committing meanwhile can neither raise a false alarm nor hide a real
 * one (two HTTP reads of two services could not give that). It never writes. The services
 * themselves still never read each other's schema.
 */

export interface CrossCheck {
  name: string;
  description: string;
  violations: number;
  examples: string[];
}

export interface CrossAuditReport {
  bets: number;
  stakeDebits: number;
  /** Debits younger than the in-flight window without a bet yet: their bet may still commit. */
  inFlightDebits: number;
  /** Payouts and refunds recorded in the outbox and not yet confirmed by the wallet. */
  pendingCredits: number;
  checks: CrossCheck[];
  ok: boolean;
}

const MAX_EXAMPLES = 20;

// `bet:<id>` ↔ bets.bets.id; reversals are `void:bet:<id>` entries of type bet_stake_reversal.
const STAKES = `
  select e.reference, e.amount, e.created_at, w.user_id, substr(e.reference, 5) as bet_id
    from wallet.ledger_entries e join wallet.wallets w on w.id = e.wallet_id
   where e.type = 'bet_stake' and e.reference like 'bet:%'`;
const REVERSED = `exists (select 1 from wallet.ledger_entries r where r.reference = 'void:' || s.reference and r.type = 'bet_stake_reversal')`;

function creditCheck(kind: 'payout' | 'refund', status: 'won' | 'void', amountColumn: string, entryType: string) {
  return `
    select b.id || ' (' || b.status || ', expected ' || b.${amountColumn} || ', found ' || coalesce(e.amount::text, 'none') || ')' as example
      from bets.bets b
      left join wallet.ledger_entries e on e.reference = '${kind}:' || b.id
      left join wallet.wallets w on w.id = e.wallet_id
      left join bets.settlement_outbox o on o.bet_id = b.id
     where b.status = '${status}'
       and (case when e.id is null
                 then o.id is null or o.delivered_at is not null
                 else e.type <> '${entryType}' or e.amount <> b.${amountColumn} or w.user_id <> b.user_id end)`;
}

const checks: Array<{ name: string; description: string; query: string }> = [
  {
    name: 'debit-has-bet-or-void',
    description: 'every bet: debit has its bet, or was voided',
    query: `select s.reference || ' (' || s.amount || ' from ' || s.user_id || ')' as example from (${STAKES}) s
             where not exists (select 1 from bets.bets b where b.id::text = s.bet_id)
               and not ${REVERSED}
               and s.created_at < now() - make_interval(secs => $1::double precision / 1000)`,
  },
  {
    name: 'voided-debit-has-no-bet',
    description: 'no bet stands on a debit that was voided',
    query: `select s.reference as example from (${STAKES}) s
             where exists (select 1 from bets.bets b where b.id::text = s.bet_id) and ${REVERSED}`,
  },
  {
    name: 'bet-has-its-debit',
    description: 'every bet has exactly one debit of its stake, from its bettor',
    query: `select b.id || ' (stake ' || b.amount || ', debit ' || coalesce(e.amount::text, 'none') || ')' as example
              from bets.bets b
              left join wallet.ledger_entries e on e.reference = 'bet:' || b.id
              left join wallet.wallets w on w.id = e.wallet_id
             where e.id is null or e.type <> 'bet_stake' or e.amount <> -b.amount or w.user_id <> b.user_id`,
  },
  {
    name: 'won-bet-paid-once',
    description: 'every won bet has exactly one payout of its potential win (or one still in the outbox)',
    query: creditCheck('payout', 'won', 'potential_win', 'bet_payout'),
  },
  {
    name: 'void-bet-refunded-once',
    description: 'every void bet has exactly one refund of its stake (or one still in the outbox)',
    query: creditCheck('refund', 'void', 'amount', 'bet_refund'),
  },
  {
    name: 'no-stray-credits',
    description: 'payouts go only to won bets and refunds only to void bets',
    query: `select e.reference as example from wallet.ledger_entries e
              left join bets.bets b on b.id::text = split_part(e.reference, ':', 2)
             where (e.reference like 'payout:%' and (b.id is null or b.status <> 'won'))
                or (e.reference like 'refund:%' and (b.id is null or b.status <> 'void'))`,
  },
];

/** Runs every check; `inFlightMs` spares debits that young (their bet may still be committing). */
export async function auditBetsAgainstLedger(pool: pg.Pool, inFlightMs: number): Promise<CrossAuditReport> {
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const results: CrossCheck[] = [];
    for (const check of checks) {
      const { rows } = await client.query<{ example: string }>(check.query, check.query.includes('$1') ? [inFlightMs] : []);
      results.push({ name: check.name, description: check.description, violations: rows.length, examples: rows.slice(0, MAX_EXAMPLES).map((row) => row.example) });
    }
    const { rows } = await client.query<{ bets: number; stakes: number; in_flight: number; pending: number }>(
      `select (select count(*)::int from bets.bets) as bets,
              (select count(*)::int from (${STAKES}) s) as stakes,
              (select count(*)::int from (${STAKES}) s where s.created_at >= now() - make_interval(secs => $1::double precision / 1000)
                 and not exists (select 1 from bets.bets b where b.id::text = s.bet_id) and not ${REVERSED}) as in_flight,
              (select count(*)::int from bets.settlement_outbox where delivered_at is null) as pending`,
      [inFlightMs],
    );
    await client.query('commit');
    const totals = rows[0]!;
    return {
      bets: totals.bets,
      stakeDebits: totals.stakes,
      inFlightDebits: totals.in_flight,
      pendingCredits: totals.pending,
      checks: results,
      ok: results.every((check) => check.violations === 0),
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export function formatCrossAuditReport(report: CrossAuditReport): string {
  const lines = [
    `bets audit: ${report.bets} bets, ${report.stakeDebits} stake debits, ${report.inFlightDebits} debits in flight, ${report.pendingCredits} credits pending in the outbox`,
  ];
  for (const check of report.checks) {
    lines.push(`  ${check.violations === 0 ? 'ok  ' : 'FAIL'} ${check.name}: ${check.description}${check.violations ? ` — ${check.violations} violation(s)` : ''}`);
    for (const example of check.examples) lines.push(`         ${example}`);
  }
  lines.push(report.ok ? 'bets audit passed' : 'bets audit FAILED');
  return `${lines.join('\n')}\n`;
}
