import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { AccessClaims, Role } from '@ludic/contracts';
import { createSigner } from 'fast-jwt';
import { ACCESS_TOKEN_ALGORITHM } from './keys.js';

/**
 * Test helpers: mint access tokens exactly as the gateway does, so a service's tests can
 * authenticate without running the gateway. Never used by production code.
 */

export interface TestSigningKey {
  kid: string;
  /** Private JWK (with kid), the gateway's `JWT_PRIVATE_JWK`. */
  privateJwk: JsonWebKey & { kid: string };
  /** Public JWK (with kid). */
  publicJwk: JsonWebKey & { kid: string };
  /** `{"keys":[publicJwk]}` as JSON: a service's `JWT_PUBLIC_JWKS`. */
  jwks: string;
  /** PKCS#8 PEM of the private key. */
  privatePem: string;
  /** SPKI PEM of the public key (what an attacker could fetch). */
  publicPem: string;
}

/** A fresh Ed25519 signing key pair. */
export function generateSigningKey(kid = `test-${randomUUID().slice(0, 8)}`): TestSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return signingKeyOf(kid, privateKey, publicKey);
}

/** The key of a running stack (its JWT_PRIVATE_JWK), to mint tokens it accepts. */
export function signingKeyFromJwk(privateJwk: string): TestSigningKey {
  const { kid, ...jwk } = JSON.parse(privateJwk) as JsonWebKey & { kid: string };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return signingKeyOf(kid, privateKey, createPublicKey(privateKey));
}

function signingKeyOf(kid: string, privateKey: KeyObject, publicKey: KeyObject): TestSigningKey {
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
  return {
    kid,
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' },
    publicJwk,
    jwks: JSON.stringify({ keys: [publicJwk] }),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Config values (as environment strings) for a service that should trust `keys`. */
export function tokenVerifyEnv(keys: TestSigningKey | TestSigningKey[]): Record<'JWT_PUBLIC_JWKS' | 'JWT_ISSUER' | 'JWT_AUDIENCE', string> {
  const list = Array.isArray(keys) ? keys : [keys];
  return {
    JWT_PUBLIC_JWKS: JSON.stringify({ keys: list.map((key) => key.publicJwk) }),
    JWT_ISSUER: 'ludic-auth',
    JWT_AUDIENCE: 'ludic',
  };
}

export interface TestTokenInput {
  sub?: string;
  email?: string;
  name?: string;
  role?: Role;
  sid?: string;
  jti?: string;
  iss?: string;
  aud?: string;
  /** Seconds from now (negative: already expired). Default 900. */
  expiresIn?: number;
  /** Seconds from now before which the token is not valid (sets `nbf`). */
  notBefore?: number;
  /** Override the `iat` clock (Unix seconds). */
  issuedAt?: number;
}

/** An access token signed by `key` with the gateway's claims; every claim can be overridden. */
export function signTestToken(key: TestSigningKey, input: TestTokenInput = {}): { token: string; claims: AccessClaims } {
  const now = input.issuedAt ?? Math.floor(Date.now() / 1000);
  const sub = input.sub ?? `user_${randomUUID()}`;
  const claims: AccessClaims & { nbf?: number } = {
    sub,
    email: input.email ?? `${sub}@example.test`,
    name: input.name ?? 'Test Player',
    role: input.role ?? 'player',
    sid: input.sid ?? randomUUID(),
    jti: input.jti ?? randomUUID(),
    iss: input.iss ?? 'ludic-auth',
    aud: input.aud ?? 'ludic',
    iat: now,
    exp: now + (input.expiresIn ?? 900),
  };
  if (input.notBefore !== undefined) claims.nbf = now + input.notBefore;
  const sign = createSigner({ key: key.privatePem, algorithm: ACCESS_TOKEN_ALGORITHM, kid: key.kid, clockTimestamp: now * 1000 });
  return { token: sign(claims), claims };
}

/** `{authorization: 'Bearer …'}` for a fresh token of `key`. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
