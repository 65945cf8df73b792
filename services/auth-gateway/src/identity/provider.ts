/** A user as the identity provider knows them. */
export interface Identity {
  id: string;
  /** Trimmed and lower-cased. */
  email: string;
  name: string;
  /** Set when the provider itself marks the user admin (a PocketBase `role` field). */
  providerRole?: 'admin';
}

/**
 * Who a user is: the built-in provider (argon2id hashes in the `auth` schema) or PocketBase.
 * Both throw LudicError: EMAIL_TAKEN (409), INVALID_CREDENTIALS (401, the same whether the
 * email exists or not), VALIDATION_ERROR (400), IDENTITY_UNAVAILABLE (503, within a bounded time).
 */
export interface IdentityProvider {
  readonly name: 'builtin' | 'pocketbase';
  /**
   * Creates the user, then runs `then` (starting the session); `email` is already normalized.
   * The built-in provider rolls the user back if `then` fails; PocketBase cannot, so there a
   * failure after sign-up leaves an account the user can log in to once the outage is over.
   */
  register<T>(input: { email: string; password: string; name: string }, then: (identity: Identity) => Promise<T>): Promise<T>;
  authenticate(input: { email: string; password: string }): Promise<Identity>;
}

/** The one normal form of an email for both providers. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
