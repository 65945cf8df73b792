import { hostname } from 'node:os';
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { envSchema } from 'env-schema';

/** Raised when the environment does not describe a runnable service; names the variables. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One of a few strings; reported as "must be one of a, b, c" when wrong. */
export function StringEnum<const T extends readonly string[]>(values: T, options: { default?: T[number]; description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** What every Ludic service reads from its environment. Services extend it with their own. */
export const BaseConfig = {
  NODE_ENV: StringEnum(['development', 'test', 'production'], { default: 'development' }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** Shown in `x-served-by` and logs; defaults to `<service>-<hostname>-<port>`. */
  SERVER_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
  LOG_LEVEL: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /** Log lines gathered before a write (also written every 250 ms); 0 writes each line at once. See logger.ts. */
  LOG_BUFFER_BYTES: Type.Integer({ minimum: 0, maximum: 65_536, default: 4096 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  /** How long a request may wait for a pooled database connection before it gets a 503. */
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000 }),
  /**
   * Hot statements prepared once per connection (`preparedQuery`). Off behind a pooler that
   * cannot carry named statements across server connections: PgBouncer in transaction mode
   * before 1.21 (`max_prepared_statements`).
   */
  DATABASE_PREPARED_STATEMENTS: Type.Boolean({ default: true }),
  /** Server-side limit on any one statement; also bounds how long a row lock can be held. */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  /** Fastify `trustProxy`: addresses of the proxies (nginx) whose X-Forwarded-* we believe. */
  TRUST_PROXY: Type.String({ default: '127.0.0.1,::1' }),
  /** Largest JSON body a service parses; nginx enforces its own limit in front. */
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 65_536 }),
  /** How long a graceful shutdown may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** Bound on each readiness probe (database, Redis, upstreams). */
  READY_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 1000 }),
} satisfies TProperties;

export const BaseConfigSchema = Type.Object(BaseConfig);
export type BaseConfig = Static<typeof BaseConfigSchema> & { SERVER_ID?: string };

/**
 * Reads and validates the environment once. Unknown variables are ignored; missing or invalid
 * ones raise a ConfigError whose message names each of them.
 */
export function loadConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  try {
    return envSchema<Static<T>>({ schema, data: env, dotenv: false, ajv: undefined });
  } catch (error) {
    throw new ConfigError(describeConfigError(error));
  }
}

function describeConfigError(error: unknown): string {
  const problems = (error as { errors?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }> })
    .errors;
  if (!Array.isArray(problems)) return `invalid configuration: ${(error as Error).message}`;
  const lines = problems.map((problem) => {
    const name = problem.params?.missingProperty ?? problem.instancePath.replace(/^\//, '');
    if (problem.params?.missingProperty) return `${String(name)} is required`;
    if (Array.isArray(problem.params?.allowedValues)) return `${String(name)} must be one of ${problem.params.allowedValues.join(', ')}`;
    return `${String(name)} ${problem.message ?? 'is invalid'}`;
  });
  return `invalid configuration: ${lines.join('; ')}`;
}

export function serverIdOf(service: string, config: Pick<BaseConfig, 'SERVER_ID' | 'PORT'>): string {
  return config.SERVER_ID ?? `${service}-${hostname()}-${config.PORT}`;
}
