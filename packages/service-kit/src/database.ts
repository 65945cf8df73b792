import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';

export interface DatabaseOptions {
  url: string;
  /** The service's own schema; every table reference is qualified with it. */
  schema: string;
  poolSize: number;
  statementTimeoutMs: number;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  logger?: FastifyBaseLogger;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * bigint columns (money in minor units) come back as bigint, never as a lossy number.
 * Per-pool type parsers, so nothing global is touched.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => BigInt(value);
    if (oid === NUMERIC_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

export interface Database<DB> {
  db: Kysely<DB>;
  pool: pg.Pool;
  /** `select 1` bounded by `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Kysely instance over a pg pool with hard limits: connect, statement and
 * idle-in-transaction timeouts, so no connection waits forever on anything.
 */
export function createDatabase<DB>(options: DatabaseOptions): Database<DB> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    // A transaction left open (a crashed request, a stuck upstream call) is killed by the server.
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    // The client gives up a little after the server would have.
    query_timeout: options.statementTimeoutMs + 1_000,
    types,
  });
  // An idle client losing its server (PostgreSQL restarting) must not crash the process;
  // the pool drops it and connects afresh on the next checkout.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle database connection lost'));

  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }).withSchema(options.schema);
  return {
    db,
    pool,
    async ping(timeoutMs) {
      // pool.query releases its client itself, so a late answer after the timeout leaks nothing.
      await withTimeout(pool.query('select 1'), timeoutMs, 'database ping');
    },
    async close() {
      // Kysely only ends the pool if it used it itself; ping goes to the pool directly.
      await db.destroy();
      if (!pool.ending && !pool.ended) await pool.end();
    },
  };
}

export type Trx<DB> = Transaction<DB>;

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
