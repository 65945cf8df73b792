import { LudicError } from '@ludic/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import PocketBase, { ClientResponseError, type RecordModel } from 'pocketbase';
import { normalizeEmail, type Identity, type IdentityProvider } from './provider.js';

export interface PocketBaseProviderOptions {
  url: string;
  /** Deadline of one call; past it the client gets 503 IDENTITY_UNAVAILABLE. */
  timeoutMs: number;
  log: FastifyBaseLogger;
}

/**
 * PocketBase (v0.23+) through its official JS SDK: sign-up creates a `users` record, login is
 * password auth. Ludic issues its own tokens, so PocketBase's token is never kept or forwarded
 * and PocketBase is not called per request, only on register and login.
 */
export class PocketBaseIdentityProvider implements IdentityProvider {
  readonly name = 'pocketbase' as const;
  readonly #options: PocketBaseProviderOptions;

  constructor(options: PocketBaseProviderOptions) {
    this.#options = options;
  }

  // A fresh client per call: the SDK's auth store is per client, and a shared one would send
  // one user's token with the next user's request.
  #users() {
    const pb = new PocketBase(this.#options.url);
    pb.autoCancellation(false);
    return pb.collection('users');
  }

  #send() {
    return { signal: AbortSignal.timeout(this.#options.timeoutMs), requestKey: null };
  }

  async register<T>(input: { email: string; password: string; name: string }, then: (identity: Identity) => Promise<T>): Promise<T> {
    let record: RecordModel;
    try {
      record = await this.#users().create(
        { email: input.email, password: input.password, passwordConfirm: input.password, name: input.name, emailVisibility: false },
        this.#send(),
      );
    } catch (error) {
      throw this.#translate(error, 'register');
    }
    // A guest does not see its own email in the answer (emailVisibility false): we know it.
    return then(this.#identity(record, input.email));
  }

  async authenticate(input: { email: string; password: string }): Promise<Identity> {
    try {
      const { record } = await this.#users().authWithPassword(input.email, input.password, this.#send());
      return this.#identity(record, input.email);
    } catch (error) {
      throw this.#translate(error, 'login');
    }
  }

  #identity(record: RecordModel, email: string): Identity {
    const identity: Identity = {
      id: String(record.id),
      email: typeof record.email === 'string' && record.email ? normalizeEmail(record.email) : email,
      name: typeof record.name === 'string' ? record.name : '',
    };
    if (record.role === 'admin') identity.providerRole = 'admin';
    return identity;
  }

  #translate(error: unknown, operation: 'register' | 'login'): LudicError {
    if (!(error instanceof ClientResponseError)) {
      this.#options.log.error({ err: error, operation }, 'PocketBase call failed unexpectedly');
      return unavailable();
    }
    const { status } = error;
    if (status === 0 || status >= 500) {
      this.#options.log.warn({ status, aborted: error.isAbort, operation, url: this.#options.url }, 'PocketBase unreachable or failing');
      return unavailable();
    }
    if (status === 429) return new LudicError('RATE_LIMITED', 'too many attempts; retry shortly', { retryAfterSeconds: 3 }, { 'retry-after': '3' });
    const fields = (error.response?.data ?? {}) as Record<string, { code?: string; message?: string }>;
    if (operation === 'login') {
      if (status === 400 || status === 401 || status === 403) return new LudicError('INVALID_CREDENTIALS', 'wrong email or password');
    } else if (status === 400) {
      if (fields.email?.code === 'validation_not_unique' || fields.email?.code === 'validation_invalid_email') {
        return new LudicError('EMAIL_TAKEN', 'an account with this email already exists');
      }
      const issues = Object.entries(fields).map(([field, issue]) => ({ field: `body/${field}`, message: issue?.message ?? 'is invalid' }));
      if (issues.length > 0) return new LudicError('VALIDATION_ERROR', 'the identity provider refused these fields', { fields: issues });
    }
    // 403/404 or an unexpected 400: PocketBase is set up differently from pb_migrations.
    this.#options.log.error({ status, operation, response: error.response }, 'PocketBase refused a request it should accept: check its users collection');
    return unavailable();
  }
}

function unavailable(): LudicError {
  return new LudicError('IDENTITY_UNAVAILABLE', 'the identity provider is unavailable; try again shortly', undefined, { 'retry-after': '5' });
}
