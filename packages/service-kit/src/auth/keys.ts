import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../config.js';

/** The only signature algorithm Ludic accepts: Ed25519 (JOSE `EdDSA`). */
export const ACCESS_TOKEN_ALGORITHM = 'EdDSA' as const;

export interface PublicSigningKey {
  kid: string;
  /** SPKI PEM, the form fast-jwt verifies with. */
  pem: string;
}

export interface PrivateSigningKey {
  kid: string;
  /** PKCS#8 PEM, the form fast-jwt (and so @fastify/jwt) signs with. */
  pem: string;
}

const KID = /^[A-Za-z0-9_.-]{1,64}$/;

function ed25519(jwk: JsonWebKey & { kid?: unknown }, what: string): { kid: string; key: KeyObject } {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new ConfigError(`${what}: only Ed25519 keys (kty OKP, crv Ed25519) are accepted`);
  if (typeof jwk.kid !== 'string' || !KID.test(jwk.kid)) throw new ConfigError(`${what}: every key needs a kid of 1-64 characters [A-Za-z0-9_.-]`);
  const { kid, ...material } = jwk;
  try {
    const key = material.d === undefined ? createPublicKey({ key: material, format: 'jwk' }) : createPrivateKey({ key: material, format: 'jwk' });
    return { kid, key };
  } catch (error) {
    throw new ConfigError(`${what}: key ${kid} is not a valid Ed25519 JWK (${(error as Error).message})`);
  }
}

/** Parses `JWT_PUBLIC_JWKS`; refuses private material, foreign key types and duplicate kids. */
export function parsePublicJwks(json: string): PublicSigningKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError('JWT_PUBLIC_JWKS is not valid JSON');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError('JWT_PUBLIC_JWKS must be {"keys": [at least one key]}');
  const seen = new Set<string>();
  return keys.map((jwk: JsonWebKey & { kid?: unknown }) => {
    if (jwk.d !== undefined) throw new ConfigError('JWT_PUBLIC_JWKS holds a private key: publish only public keys');
    const { kid, key } = ed25519(jwk, 'JWT_PUBLIC_JWKS');
    if (seen.has(kid)) throw new ConfigError(`JWT_PUBLIC_JWKS: kid ${kid} appears twice`);
    seen.add(kid);
    return { kid, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
  });
}

/** Parses the gateway's `JWT_PRIVATE_JWK` (one Ed25519 private JWK with its kid). */
export function parsePrivateJwk(json: string): PrivateSigningKey {
  let parsed: JsonWebKey & { kid?: unknown };
  try {
    parsed = JSON.parse(json) as JsonWebKey & { kid?: unknown };
  } catch {
    throw new ConfigError('JWT_PRIVATE_JWK is not valid JSON');
  }
  if (parsed.d === undefined) throw new ConfigError('JWT_PRIVATE_JWK has no private part (d)');
  const { kid, key } = ed25519(parsed, 'JWT_PRIVATE_JWK');
  return { kid, pem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
