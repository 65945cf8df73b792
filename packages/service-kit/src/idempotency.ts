import { createHash } from 'node:crypto';
import { sql, type Generated, type Kysely, type Transaction } from 'kysely';
import type { FastifyRequest } from 'fastify';
import { preparedQuery } from './database.js';
import { LudicError } from './errors.js';

/**
 * `Idempotency-Key` for routes that move money (`POST /api/wallet/deposit`, `POST /api/bets`).
 *
 * The record of a key lives in the service's own schema and is written in the SAME transaction
 * as the effect it stands for, so a crash can never leave one without the other:
 *
 *   1. `claimIdempotencyKey` takes a transaction-scoped advisory lock on (store, user, key) with
 *      `pg_try_advisory_xact_lock`: if another request holds it, the first attempt is still
 *      running → 409 IDEMPOTENCY_IN_PROGRESS (never a wait). Then it reads the record: same
 *      fingerprint → the first result is replayed with its status; another fingerprint → 409
 *      IDEMPOTENCY_KEY_REUSED; none → the caller performs the effect.
 *   2. `recordIdempotentResult` stores the response in the same transaction; commit releases
 *      the lock.
 *
 * Only committed successes are recorded. A failed attempt (any 4xx/5xx) rolls its transaction
 * back, effect and record together, so nothing happened and nothing is remembered: a retry with
 * the same key runs afresh. Storing a failure would pin the key to an answer that is no longer
 * true (e.g. INSUFFICIENT_FUNDS after a top-up, or WALLET_UNAVAILABLE once it is back), and
 * a client that obeys "same key → same answer" would never get its money moved.
 *
 * The claim must be the first statement of its transaction (READ COMMITTED), so the read after
 * the lock sees whatever the previous holder committed.
 *
 * Each service creates its table in its own migration (copy, do not import: migrations are
 * frozen):
 *
 *   create table <schema>.idempotency_keys (
 *     user_id         text        not null,
 *     key             text        not null,
 *     fingerprint     text        not null,
 *     response_status integer     not null,
 *     response_body   jsonb       not null,
 *     created_at      timestamptz not null default now(),
 *     expires_at      timestamptz not null,
 *     primary key (user_id, key)
 *   );
 *   create index idempotency_keys_expires_at_idx on <schema>.idempotency_keys (expires_at);
 */

export interface IdempotencyRecordTable {
  user_id: string;
  key: string;
  fingerprint: string;
  response_status: number;
  response_body: unknown;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface IdempotencyStore {
  /** The table in the service's schema (the Kysely instance is already `.withSchema`-ed). */
  table: string;
  /** Distinguishes this store's advisory locks from every other store's in the cluster. */
  lockNamespace: string;
  /** How long a record answers retries; api.md promises at least 24 h. */
  retentionSeconds: number;
}

export const MIN_IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;

export function idempotencyStore(options: { schema: string; table?: string; retentionSeconds?: number }): IdempotencyStore {
  const table = options.table ?? 'idempotency_keys';
  const retentionSeconds = options.retentionSeconds ?? MIN_IDEMPOTENCY_RETENTION_SECONDS;
  if (retentionSeconds < MIN_IDEMPOTENCY_RETENTION_SECONDS) {
    throw new RangeError(`idempotency records must be kept at least ${MIN_IDEMPOTENCY_RETENTION_SECONDS} s`);
  }
  return { table, lockNamespace: `${options.schema}.${table}`, retentionSeconds };
}

export interface IdempotentRequest {
  userId: string;
  key: string;
  /** What the key protects, e.g. `POST /api/wallet/deposit`: the same key on another route is another request. */
  operation: string;
  /** The request body (or whatever makes two requests "the same"). */
  payload: unknown;
}

export interface IdempotentResponse<T> {
  status: number;
  body: T;
}

export type IdempotencyClaim<T> = { replay: false } | ({ replay: true } & IdempotentResponse<T>);

/** Anything that can run a query: a transaction in every real use. */
type Tables = Record<string, IdempotencyRecordTable>;

function tables<DB>(trx: Transaction<DB> | Kysely<DB>): Kysely<Tables> {
  return trx as unknown as Kysely<Tables>;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function idempotencyFingerprint(request: Pick<IdempotentRequest, 'operation' | 'payload'>): string {
  return createHash('sha256').update(request.operation).update('\n').update(canonicalJson(request.payload)).digest('hex');
}

/**
 * The `Idempotency-Key` header of a route that requires one; its format is checked by the
 * route's header schema (`IdempotencyHeaders`), its presence here.
 */
export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0) {
    throw new LudicError('IDEMPOTENCY_KEY_REQUIRED', 'this route requires an Idempotency-Key header (1-255 visible ASCII characters)');
  }
  return key;
}

const TRY_LOCK_KEY = 'select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked';

/**
 * Step 1a, the first statement of the effect's transaction: the key's transaction-scoped lock,
 * or 409 IDEMPOTENCY_IN_PROGRESS while another request holds it (never a wait).
 */
export async function lockIdempotencyKey(trx: Transaction<unknown>, store: IdempotencyStore, request: Pick<IdempotentRequest, 'userId' | 'key'>): Promise<void> {
  const lockName = `${store.lockNamespace}:${request.userId}:${request.key}`;
  const { rows } = await trx.executeQuery(preparedQuery<{ locked: boolean }>(TRY_LOCK_KEY, [lockName]));
  if (!rows[0]?.locked) {
    throw new LudicError('IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry shortly');
  }
}

/** A key's record as read after its lock (a caller may read it together with its own rows). */
export interface IdempotencyRecord {
  fingerprint: string;
  response_status: number;
  response_body: unknown;
  /** Past its retention: the key is free again. */
  expired: boolean;
}

/**
 * Step 1b, a statement after the lock: what the record says. Same fingerprint → the first
 * result to replay; another → 409 IDEMPOTENCY_KEY_REUSED; none, or expired (then deleted, so
 * it cannot block the new record) → the caller performs the effect.
 */
export async function resolveIdempotencyRecord<T>(
  trx: Transaction<unknown>,
  store: IdempotencyStore,
  request: IdempotentRequest,
  record: IdempotencyRecord | undefined,
): Promise<IdempotencyClaim<T>> {
  if (!record) return { replay: false };
  if (record.expired) {
    await tables(trx).deleteFrom(store.table).where('user_id', '=', request.userId).where('key', '=', request.key).execute();
    return { replay: false };
  }
  if (record.fingerprint !== idempotencyFingerprint(request)) {
    throw new LudicError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used for a different request');
  }
  return { replay: true, status: record.response_status, body: record.response_body as T };
}

/**
 * Step 1, first statements of the effect's transaction: lock the key for this transaction and
 * tell whether the effect already happened (then replay its response).
 */
export async function claimIdempotencyKey<T>(
  trx: Transaction<unknown>,
  store: IdempotencyStore,
  request: IdempotentRequest,
): Promise<IdempotencyClaim<T>> {
  await lockIdempotencyKey(trx, store, request);
  const record = await tables(trx)
    .selectFrom(store.table)
    .select(['fingerprint', 'response_status', 'response_body', sql<boolean>`expires_at <= now()`.as('expired')])
    .where('user_id', '=', request.userId)
    .where('key', '=', request.key)
    .executeTakeFirst();
  return resolveIdempotencyRecord<T>(trx, store, request, record);
}

/** The record of a response, as inserted (a caller may insert it in its own statement). */
export function idempotencyRecordValues<T>(store: IdempotencyStore, request: IdempotentRequest, response: IdempotentResponse<T>) {
  return {
    user_id: request.userId,
    key: request.key,
    fingerprint: idempotencyFingerprint(request),
    response_status: response.status,
    // jsonb from the serialized form, so a replay is byte-for-byte what the first answer held.
    response_body: JSON.stringify(response.body),
    expires_at: sql<Date>`now() + make_interval(secs => ${store.retentionSeconds})`,
  };
}

export type IdempotencyRecordValues = ReturnType<typeof idempotencyRecordValues>;

/** Step 2, in the same transaction as the effect: remember its response for retries. */
export async function recordIdempotentResult<T>(
  trx: Transaction<unknown>,
  store: IdempotencyStore,
  request: IdempotentRequest,
  response: IdempotentResponse<T>,
): Promise<void> {
  await tables(trx).insertInto(store.table).values(idempotencyRecordValues(store, request, response)).execute();
}

/**
 * Claim, effect and record in one transaction. The effect receives the transaction and returns
 * the response to send (and replay); if it throws, nothing is recorded and the error propagates.
 */
export async function runIdempotent<DB, T>(
  db: Kysely<DB>,
  store: IdempotencyStore,
  request: IdempotentRequest,
  effect: (trx: Transaction<DB>) => Promise<IdempotentResponse<T>>,
): Promise<IdempotentResponse<T> & { replayed: boolean }> {
  return db.transaction().execute(async (trx) => {
    const claim = await claimIdempotencyKey<T>(trx as Transaction<unknown>, store, request);
    if (claim.replay) return { status: claim.status, body: claim.body, replayed: true };
    const response = await effect(trx);
    await recordIdempotentResult(trx as Transaction<unknown>, store, request, response);
    return { ...response, replayed: false };
  });
}

/** Deletes up to `batchSize` expired records; returns how many. Run it now and then. */
export async function purgeExpiredIdempotencyRecords<DB>(db: Kysely<DB>, store: IdempotencyStore, batchSize = 1000): Promise<number> {
  const records = tables(db);
  const result = await records
    .deleteFrom(store.table)
    .where(sql.ref('ctid'), 'in', records.selectFrom(store.table).select(sql`ctid`.as('ctid')).where('expires_at', '<=', sql<Date>`now()`).limit(batchSize))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
