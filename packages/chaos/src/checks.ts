import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { runServiceCommand, type Runtime } from '@ludic/stack';
import type { KeyRecord } from './load.js';

/**
 * What a chaos run checks once the load and the faults are over: the services' own audits
 * (the bets audit runs the wallet's too) and the run's own invariants, read straight from the
 * database in one snapshot, plus the clients' view of every Idempotency-Key.
 */

export interface InvariantCheck {
  name: string;
  description: string;
  violations: number;
  examples: string[];
}

export interface AuditOutcome {
  exitCode: number;
  /** Every failed check of the services' audits, `name: violations`. */
  failedChecks: Record<string, number>;
  output: string;
}

export interface Repairs {
  /** Stake debits without a bet voided by bets' reconciler (voided RECONCILE_AFTER_MS or later after the debit). */
  reconcilerVoids: number;
  /** Stake debits voided at once by the request that failed after its debit. */
  immediateVoids: number;
  /** Debits that arrived after their reference was voided, refused by the wallet's tombstone. */
  refusedLateDebits: number;
  /** Settlement credits delivered, and how many of them needed more than one attempt. */
  creditsDelivered: number;
  creditsRetried: number;
}

export interface MoneyTotals {
  /** Minor units, as decimal strings. */
  balances: string;
  openings: string;
  deposits: string;
  stakes: string;
  payouts: string;
  refunds: string;
  bets: number;
  pendingBets: number;
}

const MAX_EXAMPLES = 10;

async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Waits until the reconciler has judged every stake debit (its watermark is past the newest
 * one) and the settlement outbox is empty. Returns how long that took, or undefined when
 * `timeoutMs` passed first.
 */
export async function waitForRepairs(databaseUrl: string, timeoutMs: number): Promise<{ waitedMs: number; done: boolean; state: string }> {
  const startedAt = Date.now();
  let state = '';
  for (;;) {
    try {
      const done = await withClient(databaseUrl, async (client) => {
        const { rows } = await client.query<{ checked_until: Date | null; last_debit: Date | null; undelivered: number }>(`
          select (select checked_until from bets.reconciler_state where name = 'stake-debits') as checked_until,
                 (select max(created_at) from wallet.ledger_entries where type = 'bet_stake') as last_debit,
                 (select count(*)::int from bets.settlement_outbox where delivered_at is null) as undelivered`);
        const row = rows[0]!;
        state = `reconciler checked until ${row.checked_until?.toISOString() ?? 'never'}, newest stake debit ${row.last_debit?.toISOString() ?? 'none'}, ${row.undelivered} credits undelivered`;
        const judged = row.last_debit === null || (row.checked_until !== null && row.checked_until > row.last_debit);
        return judged && row.undelivered === 0;
      });
      if (done) return { waitedMs: Date.now() - startedAt, done: true, state };
    } catch (error) {
      state = `database: ${(error as Error).message}`;
    }
    if (Date.now() - startedAt >= timeoutMs) return { waitedMs: Date.now() - startedAt, done: false, state };
    await sleep(500);
  }
}

/** The bets audit (bets against the ledger, then the wallet's own audit), nothing spared as in flight. */
export async function runServiceAudits(runtime: Runtime, databaseUrl: string): Promise<AuditOutcome> {
  const { code, output } = await runServiceCommand('bets', 'audit', runtime, databaseUrl, { AUDIT_IN_FLIGHT_MS: '0' });
  const failedChecks: Record<string, number> = {};
  for (const match of output.matchAll(/^\s*FAIL (\S+): .* — (\d+) violation/gm)) failedChecks[match[1] as string] = Number(match[2]);
  return { exitCode: code, failedChecks, output: output.trim() };
}

const toMinor = (money: string) => {
  const [whole, fraction = ''] = money.split('.');
  return BigInt(whole ?? '0') * 100n + BigInt(fraction.padEnd(2, '0'));
};

/** SQL checks whose every row is a violation (its `example`). */
const sqlChecks: Array<{ name: string; description: string; query: string }> = [
  {
    name: 'money-conserved-per-player',
    description: "every wallet holds exactly opening + deposits − stakes + payouts of won bets + refunds of void bets (bets' side, not the ledger's stake entries)",
    query: `
      with ledger as (
        select w.user_id, w.balance,
               coalesce(sum(e.amount) filter (where e.type in ('opening', 'deposit')), 0) as funded
          from wallet.wallets w left join wallet.ledger_entries e on e.wallet_id = w.id
         group by w.id),
      placed as (
        select user_id, sum(amount) as stakes,
               coalesce(sum(potential_win) filter (where status = 'won'), 0) as payouts,
               coalesce(sum(amount) filter (where status = 'void'), 0) as refunds
          from bets.bets group by user_id)
      select format('user %s: balance %s, expected %s', coalesce(l.user_id, p.user_id), l.balance,
                    coalesce(l.funded, 0) - coalesce(p.stakes, 0) + coalesce(p.payouts, 0) + coalesce(p.refunds, 0)) as example
        from ledger l full join placed p on p.user_id = l.user_id
       where l.user_id is null
          or l.balance <> l.funded - coalesce(p.stakes, 0) + coalesce(p.payouts, 0) + coalesce(p.refunds, 0)`,
  },
  {
    name: 'bets-settled-consistently',
    description: "a finished event's bets are won exactly when their selection is the result, lost otherwise; a cancelled event's are void; an open event's are pending",
    query: `
      select format('bet %s: %s on %s, event %s (result %s)', b.id, b.status, b.selection, e.status, coalesce(e.result, '-')) as example
        from bets.bets b join bets.events e on e.id = b.event_id
       where (e.status = 'finished' and (b.status not in ('won', 'lost') or (b.status = 'won') <> (b.selection = e.result)))
          or (e.status = 'cancelled' and b.status <> 'void')
          or (e.status in ('upcoming', 'live', 'suspended') and b.status <> 'pending')`,
  },
  {
    name: 'one-bet-per-key',
    description: 'every bet is the effect of exactly one Idempotency-Key record, and every recorded key names an existing bet',
    query: `
      select format('bet %s named by %s keys', b.id, (select count(*) from bets.idempotency_keys k where k.response_body->>'id' = b.id::text)) as example
        from bets.bets b
       where (select count(*) from bets.idempotency_keys k where k.response_body->>'id' = b.id::text) <> 1
      union all
      select format('key %s of %s names missing bet %s', k.key, k.user_id, k.response_body->>'id')
        from bets.idempotency_keys k
       where not exists (select 1 from bets.bets b where b.id::text = k.response_body->>'id')`,
  },
  {
    name: 'one-deposit-per-key',
    description: 'every deposit is the effect of exactly one Idempotency-Key record, and every recorded key names an existing deposit',
    query: `
      select format('deposit %s named by %s keys', e.id, (select count(*) from wallet.idempotency_keys k where k.response_body->'transaction'->>'id' = e.id::text)) as example
        from wallet.ledger_entries e
       where e.type = 'deposit'
         and (select count(*) from wallet.idempotency_keys k where k.response_body->'transaction'->>'id' = e.id::text) <> 1
      union all
      select format('key %s of %s names missing deposit %s', k.key, k.user_id, k.response_body->'transaction'->>'id')
        from wallet.idempotency_keys k
       where not exists (select 1 from wallet.ledger_entries e where e.type = 'deposit' and e.id::text = k.response_body->'transaction'->>'id')`,
  },
];

/**
 * The clients' side: every key a client got a 2xx for names one effect, the same on every
 * 2xx, that exists with the client's user and amount; no key a client saw refused for good
 * left an effect behind.
 */
function clientChecks(keys: KeyRecord[], effects: { bets: Map<string, { userId: string; amount: bigint }>; deposits: Map<string, { userId: string; amount: bigint }>; recordedKeys: Set<string> }): InvariantCheck[] {
  const acked: string[] = [];
  const refusedWithEffect: string[] = [];
  for (const record of keys) {
    const found = record.kind === 'bet' ? effects.bets : effects.deposits;
    if (record.outcome === 'applied') {
      const ids = new Set(record.ackedIds);
      const effect = found.get(record.ackedIds[0] as string);
      if (ids.size !== 1) acked.push(`${record.kind} key ${record.key}: its 2xx answers named ${ids.size} different effects`);
      else if (!effect) acked.push(`${record.kind} key ${record.key}: ${record.ackedIds[0]} does not exist`);
      else if (effect.userId !== record.userId || effect.amount !== toMinor(record.amount)) acked.push(`${record.kind} key ${record.key}: ${record.ackedIds[0]} is not ${record.amount} of ${record.userId}`);
      else if (record.rejectedWith) acked.push(`${record.kind} key ${record.key}: a replay after its 2xx was refused with ${record.rejectedWith}`);
    } else if (record.outcome === 'rejected' && effects.recordedKeys.has(`${record.kind} ${record.userId} ${record.key}`)) {
      refusedWithEffect.push(`${record.kind} key ${record.key}: refused with ${record.rejectedWith}, yet recorded as done`);
    }
  }
  return [
    {
      name: 'client-2xx-has-one-effect',
      description: 'every key a client got a 2xx for names the same single effect in every 2xx, and that bet or deposit exists with its user and amount',
      violations: acked.length,
      examples: acked.slice(0, MAX_EXAMPLES),
    },
    {
      name: 'client-refusal-has-no-effect',
      description: 'no key a client saw refused for good (4xx) has a recorded effect',
      violations: refusedWithEffect.length,
      examples: refusedWithEffect.slice(0, MAX_EXAMPLES),
    },
  ];
}

/** Every invariant the run checks itself, the repairs made and the money totals, from one snapshot. */
export async function checkInvariants(
  databaseUrl: string,
  keys: KeyRecord[],
  reconcileAfterMs: number,
): Promise<{ checks: InvariantCheck[]; repairs: Repairs; money: MoneyTotals }> {
  return withClient(databaseUrl, async (client) => {
    await client.query('begin isolation level repeatable read read only');
    try {
      const checks: InvariantCheck[] = [];
      for (const check of sqlChecks) {
        const { rows } = await client.query<{ example: string }>(check.query);
        checks.push({ name: check.name, description: check.description, violations: rows.length, examples: rows.slice(0, MAX_EXAMPLES).map((row) => row.example) });
      }
      const bets = new Map<string, { userId: string; amount: bigint }>();
      for (const row of (await client.query<{ id: string; user_id: string; amount: string }>('select id, user_id, amount::text from bets.bets')).rows) {
        bets.set(row.id, { userId: row.user_id, amount: BigInt(row.amount) });
      }
      const deposits = new Map<string, { userId: string; amount: bigint }>();
      const depositRows = await client.query<{ id: string; user_id: string; amount: string }>(
        "select e.id, w.user_id, e.amount::text from wallet.ledger_entries e join wallet.wallets w on w.id = e.wallet_id where e.type = 'deposit'",
      );
      for (const row of depositRows.rows) deposits.set(row.id, { userId: row.user_id, amount: BigInt(row.amount) });
      const recordedKeys = new Set<string>();
      for (const row of (await client.query<{ user_id: string; key: string }>('select user_id, key from bets.idempotency_keys')).rows) recordedKeys.add(`bet ${row.user_id} ${row.key}`);
      for (const row of (await client.query<{ user_id: string; key: string }>('select user_id, key from wallet.idempotency_keys')).rows) recordedKeys.add(`deposit ${row.user_id} ${row.key}`);
      checks.push(...clientChecks(keys, { bets, deposits, recordedKeys }));

      const { rows: [repairs] } = await client.query<{ reconciler: number; immediate: number; refused: number; delivered: number; retried: number }>(
        `select (select count(*)::int from wallet.ledger_entries r join wallet.ledger_entries d on d.reference = substr(r.reference, 6)
                  where r.type = 'bet_stake_reversal' and r.created_at - d.created_at >= make_interval(secs => $1::double precision / 1000)) as reconciler,
                (select count(*)::int from wallet.ledger_entries r join wallet.ledger_entries d on d.reference = substr(r.reference, 6)
                  where r.type = 'bet_stake_reversal' and r.created_at - d.created_at < make_interval(secs => $1::double precision / 1000)) as immediate,
                (select count(*)::int from wallet.voided_references where reversal_entry_id is null) as refused,
                (select count(*)::int from bets.settlement_outbox where delivered_at is not null) as delivered,
                (select count(*)::int from bets.settlement_outbox where delivered_at is not null and attempts > 1) as retried`,
        [reconcileAfterMs],
      );
      const { rows: [money] } = await client.query<Record<keyof MoneyTotals, string>>(`
        select (select coalesce(sum(balance), 0)::text from wallet.wallets) as balances,
               (select coalesce(sum(amount), 0)::text from wallet.ledger_entries where type = 'opening') as openings,
               (select coalesce(sum(amount), 0)::text from wallet.ledger_entries where type = 'deposit') as deposits,
               (select coalesce(sum(amount), 0)::text from bets.bets) as stakes,
               (select coalesce(sum(potential_win) filter (where status = 'won'), 0)::text from bets.bets) as payouts,
               (select coalesce(sum(amount) filter (where status = 'void'), 0)::text from bets.bets) as refunds,
               (select count(*)::text from bets.bets) as bets,
               (select count(*)::text from bets.bets where status = 'pending') as "pendingBets"`);
      await client.query('commit');
      const totals = money!;
      const expected = BigInt(totals.openings) + BigInt(totals.deposits) - BigInt(totals.stakes) + BigInt(totals.payouts) + BigInt(totals.refunds);
      checks.push({
        name: 'money-conserved-in-total',
        description: 'the sum of all balances equals openings + deposits − stakes + payouts + refunds: no money created or lost',
        violations: BigInt(totals.balances) === expected ? 0 : 1,
        examples: BigInt(totals.balances) === expected ? [] : [`balances ${totals.balances}, expected ${expected}`],
      });
      return {
        checks,
        repairs: {
          reconcilerVoids: repairs!.reconciler,
          immediateVoids: repairs!.immediate,
          refusedLateDebits: repairs!.refused,
          creditsDelivered: repairs!.delivered,
          creditsRetried: repairs!.retried,
        },
        money: { ...totals, bets: Number(totals.bets), pendingBets: Number(totals.pendingBets) },
      };
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  });
}
