import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Secrets of the local stack, generated once and kept (mode 600) in its data folder. */
export interface LocalSecrets {
  /** Superuser password of the embedded PostgreSQL cluster. */
  postgresPassword: string;
  redisPassword: string;
  /** INTERNAL_TOKEN shared by the services for /internal/ calls. */
  internalToken: string;
}

function generate(): LocalSecrets {
  const token = () => randomBytes(32).toString('base64url');
  return { postgresPassword: token(), redisPassword: token(), internalToken: token() };
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
