import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Secrets of the local stack, generated once and kept (mode 600) in its data folder. */
export interface LocalSecrets {
  /** Superuser password of the embedded PostgreSQL cluster. */
  postgresPassword: string;
  redisPassword: string;
  /** INTERNAL_TOKEN shared by the services for /internal/ calls. */
  internalToken: string;
  /** The gateway's access-token signing key (JWT_PRIVATE_JWK): an Ed25519 private JWK with its kid. */
  jwtPrivateJwk: string;
  /** Its public half as a JWKS (JWT_PUBLIC_JWKS), which every service verifies with. */
  jwtPublicJwks: string;
}

/** A fresh Ed25519 access-token signing key, as the JWK strings the services read. */
export function generateJwtSigningKey(kid = `local-${randomBytes(4).toString('hex')}`): { jwtPrivateJwk: string; jwtPublicJwks: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const meta = { kid, alg: 'EdDSA', use: 'sig' };
  return {
    jwtPrivateJwk: JSON.stringify({ ...privateKey.export({ format: 'jwk' }), ...meta }),
    jwtPublicJwks: JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), ...meta }] }),
  };
}

function generate(): LocalSecrets {
  const token = () => randomBytes(32).toString('base64url');
  return { postgresPassword: token(), redisPassword: token(), internalToken: token(), ...generateJwtSigningKey() };
}

/**
 * Loads the secrets file, creating it or adding secrets introduced since it was written
 * (existing values are never regenerated: the database and Redis were set up with them).
 */
export function loadOrCreateSecrets(file: string): LocalSecrets {
  const existing: Partial<LocalSecrets> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  const secrets = { ...generate(), ...existing };
  if (Object.keys(secrets).some((key) => !(key in existing))) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}
