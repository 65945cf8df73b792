import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { repoRoot, runToCompletion } from '@ludic/stack';
import { benchScriptCommand } from './stack.js';

export interface CeilingResult {
  operationsPerSecond: number;
  operations: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Each run's rate, when the report measured this ceiling more than once. */
  runsPerSecond?: number[];
}

/** The value at quantile q of ascending `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function summarize(latencies: number[], elapsedMs: number, errors: number): CeilingResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    operationsPerSecond: (latencies.length * 1000) / elapsedMs,
    operations: latencies.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    errors,
  };
}

export interface BetSqlOptions {
  databaseUrl: string;
  /** Bets in flight at once: the HTTP scenario's connection count. */
  concurrency: number;
  /** Connections of all bets instances together, and of all wallet instances together. */
  betsPoolSize: number;
  walletPoolSize: number;
  durationSeconds: number;
  /** Wallet owners to rotate over (one id: the hot row). Wallets are opened first, untimed. */
  userIds: string[];
  eventIds: string[];
  /** Minor units. */
  stake: bigint;
  openingBalance: bigint;
}

const selections = ['home', 'draw', 'away'] as const;
const PLACE_BET_OPERATION = 'POST /api/bets';
const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;

/** Opens each wallet as the wallet service does on first access: the row, then its opening entry. */
async function openWallets(pool: pg.Pool, userIds: string[], openingBalance: bigint): Promise<void> {
  for (const userId of userIds) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const created = await client.query<{ id: string }>(
        'insert into "wallet"."wallets" ("user_id", "balance", "currency") values ($1, $2, $3) on conflict ("user_id") do nothing returning *',
        [userId, openingBalance, 'RUB'],
      );
      const wallet = created.rows[0];
      if (wallet) {
        await client.query(
          'insert into "wallet"."ledger_entries" ("wallet_id", "type", "amount", "balance_after", "reference") values ($1, $2, $3, $4, $5) returning "id"',
          [wallet.id, 'opening', openingBalance, openingBalance, `opening:${wallet.id}`],
        );
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  }
}

/**
 * One bet, statement for statement and transaction for transaction as the services run it
 * (services/bets/src/domain/place-bet.ts with service-kit's idempotency steps, and the wallet's
 * takeStakeFromWallet on its own connection while the bets transaction stays open):
 *   bets:   begin; try-lock the key; read its record and lock the event FOR SHARE (one
 *           statement); insert the bet and the key's record (one statement);
 *   wallet:   select wallet.take_stake(user, amount, reference) (one statement, own transaction);
 *   bets:   commit.
 * Each statement goes out unnamed, parsed and planned on every call, as a plain client (and
 * pgbench's default protocol) sends it. The services prepare these statements once per
 * connection (`preparedQuery`, DATABASE_PREPARED_STATEMENTS): part of what they do better than
 * a plain client. Prepared here too, this loop ran 580–750 bets/s against 500–530 unnamed
 * (alternating 8 s runs on one stack, 64 in flight).
 */
async function placeBetSql(betsPool: pg.Pool, walletPool: pg.Pool, userId: string, eventId: string, selection: (typeof selections)[number], stake: bigint): Promise<void> {
  const bets = await betsPool.connect();
  try {
    await bets.query('begin');
    const key = randomUUID();
    const locked = await bets.query<{ locked: boolean }>('select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked', [`bets.idempotency_keys:${userId}:${key}`]);
    if (!locked.rows[0]?.locked) throw new Error('idempotency lock not taken');
    const found = (
      await bets.query<{ key_fingerprint: string | null; tx_now: Date; id: string | null; home_team: string; away_team: string; odds_home: number; odds_draw: number; odds_away: number }>(
        `select k.fingerprint as key_fingerprint, k.response_status as key_response_status, k.response_body as key_response_body,
                k.expires_at <= now() as key_expired, now() as tx_now, e.*
         from (select 1) as one
         left join "bets"."idempotency_keys" k on k.user_id = $1 and k.key = $2
         left join lateral (select * from "bets"."events" where id = $3 for share) e on true`,
        [userId, key, eventId],
      )
    ).rows[0];
    if (!found?.id) throw new Error(`event ${eventId} is missing`);
    if (found.key_fingerprint !== null) throw new Error('a fresh key has a record');
    const odds = selection === 'home' ? found.odds_home : selection === 'draw' ? found.odds_draw : found.odds_away;
    const betId = randomUUID();
    const body = { amount: stake, eventId, odds, selection };
    const fingerprint = createHash('sha256').update(PLACE_BET_OPERATION).update('\n').update(JSON.stringify({ ...body, amount: String(stake) })).digest('hex');
    await bets.query(
      `with record as (
         insert into "bets"."idempotency_keys" (user_id, key, fingerprint, response_status, response_body, expires_at)
         values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
       )
       insert into "bets"."bets" (id, user_id, user_name, event_id, event_name, selection, odds, amount, potential_win, status, result, created_at, settled_at)
       values ($7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending', null, $16, null)`,
      [
        userId, key, fingerprint, 201, JSON.stringify({ id: betId, status: 'pending' }), IDEMPOTENCY_RETENTION_SECONDS,
        betId, userId, 'Bench ceiling', eventId, `${found.home_team} — ${found.away_team}`, selection, odds, stake, (stake * BigInt(odds)) / 100n, found.tx_now,
      ],
    );
    // The wallet's debit: one statement, its own transaction (ledger.ts takeStakeFromWallet).
    const debited = await walletPool.query<{ outcome: string }>('select * from wallet.take_stake($1, $2, $3)', [userId, stake, `bet:${betId}`]);
    if (debited.rows[0]?.outcome !== 'taken') throw new Error(`wallet of ${userId} refused the stake: ${debited.rows[0]?.outcome}`);
    await bets.query('commit');
  } catch (error) {
    await bets.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    bets.release();
  }
}

/** The bet's own SQL straight against PostgreSQL, at the scenario's concurrency: the bets ceiling. */
export async function betSqlCeiling(options: BetSqlOptions): Promise<CeilingResult> {
  const betsPool = new pg.Pool({ connectionString: options.databaseUrl, max: options.betsPoolSize, application_name: 'bench-ceiling-bets' });
  const walletPool = new pg.Pool({ connectionString: options.databaseUrl, max: options.walletPoolSize, application_name: 'bench-ceiling-wallet' });
  try {
    await openWallets(walletPool, options.userIds, options.openingBalance);
    const latencies: number[] = [];
    let errors = 0;
    let firstError: unknown;
    let next = 0;
    const startedAt = performance.now();
    const deadline = startedAt + options.durationSeconds * 1000;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < deadline) {
          const index = next++;
          const started = performance.now();
          try {
            await placeBetSql(
              betsPool,
              walletPool,
              options.userIds[index % options.userIds.length] as string,
              options.eventIds[index % options.eventIds.length] as string,
              selections[index % selections.length] as (typeof selections)[number],
              options.stake,
            );
            latencies.push(performance.now() - started);
          } catch (error) {
            errors += 1;
            firstError ??= error;
          }
        }
      }),
    );
    if (firstError) console.error(`bet SQL ceiling: ${errors} errors, first: ${(firstError as Error).message}`);
    return summarize(latencies, performance.now() - startedAt, errors);
  } finally {
    await Promise.all([betsPool.end(), walletPool.end()]);
  }
}

/**
 * argon2id verification at the gateway's parameters in a separate process whose libuv pool is
 * as large as all gateway instances' pools together, `concurrency` verifications in flight.
 */
export async function argon2Ceiling(options: { concurrency: number; threads: number; durationSeconds: number }): Promise<CeilingResult> {
  const { command, args } = benchScriptCommand('argon2-ceiling.ts');
  const { code, stdout, stderr } = await runToCompletion(command, args, {
    cwd: repoRoot,
    env: { ...process.env, UV_THREADPOOL_SIZE: String(options.threads), CONCURRENCY: String(options.concurrency), DURATION_MS: String(options.durationSeconds * 1000) },
  });
  if (code !== 0) throw new Error(`argon2 ceiling exited with ${code}: ${stderr}`);
  const { latencies, elapsedMs } = JSON.parse(stdout) as { latencies: number[]; elapsedMs: number };
  return summarize(latencies, elapsedMs, 0);
}
