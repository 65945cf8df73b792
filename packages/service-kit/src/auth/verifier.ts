import type { AccessClaims } from '@ludic/contracts';
import { createVerifier, TokenError } from 'fast-jwt';
import { ACCESS_TOKEN_ALGORITHM, parsePublicJwks } from './keys.js';
import type { TokenVerifyConfig } from './config.js';

/** Why a token was refused; logged (never shown to the client, which only sees 401). */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
  constructor(readonly reason: string) {
    super(`access token rejected: ${reason}`);
  }
}

export interface TokenVerifier {
  /** The claims of a validly signed, current token for this issuer and audience; else throws TokenRejected. */
  verify(token: string): AccessClaims;
}

export interface TokenVerifierOptions {
  /** Verified tokens remembered so a busy client costs one signature check per token; 0: none. */
  cacheSize?: number;
}

const ROLES = new Set(['player', 'admin']);
const REQUIRED_CLAIMS: string[] = ['sub', 'email', 'name', 'role', 'sid', 'jti', 'iss', 'aud', 'exp', 'iat'];

function decodeHeader(token: string): { kid: string; alg: unknown } {
  const dot = token.indexOf('.');
  if (dot <= 0) throw new TokenRejected('malformed');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
  } catch {
    throw new TokenRejected('malformed header');
  }
  if (typeof header !== 'object' || header === null) throw new TokenRejected('malformed header');
  const { kid, alg } = header as { kid?: unknown; alg?: unknown };
  if (typeof kid !== 'string') throw new TokenRejected('no kid');
  return { kid, alg };
}

function assertClaims(payload: Record<string, unknown>): asserts payload is AccessClaims & Record<string, unknown> {
  for (const name of ['sub', 'email', 'name', 'sid', 'jti'] as const) {
    if (typeof payload[name] !== 'string' || payload[name] === '') throw new TokenRejected(`claim ${name} missing or not a string`);
  }
  if (typeof payload.role !== 'string' || !ROLES.has(payload.role)) throw new TokenRejected('claim role invalid');
}

/**
 * Verifies access tokens locally: Ed25519 only (an explicit allow-list, so `alg: none` and
 * HS256-with-the-public-key are refused), the key picked by `kid` among the configured public
 * keys, then issuer, audience, expiry and not-before. No network call.
 */
export function createTokenVerifier(config: TokenVerifyConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  const verifiers = new Map(
    parsePublicJwks(config.JWT_PUBLIC_JWKS).map(({ kid, pem }) => [
      kid,
      createVerifier({
        key: pem,
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        allowedIss: config.JWT_ISSUER,
        allowedAud: config.JWT_AUDIENCE,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: config.JWT_CLOCK_TOLERANCE_SECONDS * 1000,
        cache: options.cacheSize ?? 10_000,
        // Never longer than a token lives; fast-jwt also caps each entry at the token's exp.
        cacheTTL: config.JWT_ACCESS_TTL_SECONDS * 1000,
        // A refused token stays refused; remembering that spares the signature check on floods.
        errorCacheTTL: 60_000,
      }),
    ]),
  );
  // A busy client presents the same token on every request: a verified token is remembered by
  // its exact text until its exp, so a repeat costs one Map lookup (not a header parse, a
  // SHA-256 of the token for fast-jwt's own cache and its checks). First in, first out.
  const verified = new Map<string, { claims: AccessClaims; expiresAt: number }>();
  const capacity = options.cacheSize ?? 10_000;
  return {
    verify(token) {
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.claims;
      const { kid, alg } = decodeHeader(token);
      if (alg !== ACCESS_TOKEN_ALGORITHM) throw new TokenRejected(`algorithm ${String(alg)} not allowed`);
      const verifier = verifiers.get(kid);
      if (!verifier) throw new TokenRejected(`unknown kid ${kid}`);
      let payload: Record<string, unknown>;
      try {
        payload = verifier(token) as Record<string, unknown>;
      } catch (error) {
        throw new TokenRejected(error instanceof TokenError ? error.code : 'unverifiable');
      }
      assertClaims(payload);
      const claims = Object.freeze(payload);
      if (capacity > 0) {
        if (verified.size >= capacity) verified.delete(verified.keys().next().value!);
        verified.set(token, { claims, expiresAt: claims.exp * 1000 });
      }
      return claims;
    },
  };
}
