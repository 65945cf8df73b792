import { LudicError, preparedQuery, type Database } from '@ludic/service-kit';
import { hash, verify, type Options } from '@node-rs/argon2';
import type { Selectable } from 'kysely';
import type { AuthDatabase, UsersTable } from '../db.js';
import { SCHEMA } from '../migrations/index.js';
import type { Identity, IdentityProvider } from './provider.js';

/**
 * argon2id at OWASP's first recommended setting (m=19 MiB, t=2, p=1): about 65 ms per hash or
 * verification measured on the shared 2-core test machine, run on libuv's thread pool so the
 * event loop stays free. The PHC string stores the parameters, so raising them later only
 * affects new hashes.
 */
export const ARGON2_OPTIONS: Options = {
  // Algorithm.Argon2id (a const enum, which verbatimModuleSyntax cannot import).
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
};

const UNIQUE_VIOLATION = '23505';

/**
 * argon2 runs on libuv's thread pool, which also derives pg's SCRAM key whenever the database
 * pool opens a connection (webcrypto PBKDF2), and runs DNS lookups and file I/O. With every
 * thread hashing, a burst of logins queued a new connection's handshake behind seconds of
 * hashes until DATABASE_CONNECT_TIMEOUT_MS turned it into a 503 (scripts/bench, 64 concurrent
 * logins). So hashes hold at most all threads but one, and at most two: each hash in flight
 * holds 19 MiB, and the instance's 150 MB budget has room for two. The others wait here, in
 * JavaScript, where waiting blocks nothing else. CPU-bound on the same cores, throughput is
 * unchanged (two instances hashing two at a time keep two cores busy).
 */
class HashSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or give it back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    }
  }
}

/**
 * Every login runs it, so its SQL is written once here, prepared, rather than built and compiled
 * by Kysely per call (Kysely held 9 % of the gateway's event-loop samples in a CPU profile under
 * scripts/bench's login load). `lower(email)` is what the unique index `users_email_key` covers.
 */
const USER_BY_EMAIL = `select id, email, name, password_hash from "${SCHEMA}"."users" where lower(email) = $1`;

const threadPoolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const hashSlots = new HashSlots(Math.max(1, Math.min(2, threadPoolSize - 1)));

/** Users in the gateway's own `auth` schema: the default when no PocketBase is configured. */
export class BuiltinIdentityProvider implements IdentityProvider {
  readonly name = 'builtin' as const;
  readonly #db: Database<AuthDatabase>['db'];
  // Verified against when the email is unknown, so both failures cost the same time.
  readonly #dummyHash: Promise<string>;

  constructor(db: Database<AuthDatabase>['db']) {
    this.#db = db;
    this.#dummyHash = hashSlots.run(() => hash('not the password of anyone', ARGON2_OPTIONS));
  }

  async register<T>(input: { email: string; password: string; name: string }, then: (identity: Identity) => Promise<T>): Promise<T> {
    const passwordHash = await hashSlots.run(() => hash(input.password, ARGON2_OPTIONS));
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('users')
          .values({ email: input.email, name: input.name, password_hash: passwordHash })
          .returning(['id', 'email', 'name'])
          .executeTakeFirstOrThrow();
        return then({ id: row.id, email: row.email, name: row.name });
      });
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new LudicError('EMAIL_TAKEN', 'an account with this email already exists');
      throw error;
    }
  }

  async authenticate(input: { email: string; password: string }): Promise<Identity> {
    const {
      rows: [row],
    } = await this.#db.executeQuery(preparedQuery<Pick<Selectable<UsersTable>, 'id' | 'email' | 'name' | 'password_hash'>>(USER_BY_EMAIL, [input.email]));
    const stored = row?.password_hash ?? (await this.#dummyHash);
    const matches = await hashSlots.run(() => verify(stored, input.password));
    if (!row || !matches) throw new LudicError('INVALID_CREDENTIALS', 'wrong email or password');
    return { id: row.id, email: row.email, name: row.name };
  }
}
