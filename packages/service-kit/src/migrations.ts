import { Type } from '@sinclair/typebox';
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { ConfigError, loadConfig } from './config.js';

export interface MigrationSet {
  /** The service's schema: its tables and its migration bookkeeping live there. */
  schema: string;
  /** Name → migration; names sort in the order they run (`0001_wallets`, `0002_…`). */
  migrations: Record<string, Migration>;
}

/** Brings the service's schema to the latest migration; returns the names applied now. */
export async function migrateToLatest(databaseUrl: string, set: MigrationSet): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const root = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`create schema if not exists ${sql.id(set.schema)}`.execute(root);
    const migrator = new Migrator({
      db: root.withSchema(set.schema),
      provider: { getMigrations: async () => set.migrations },
      migrationTableSchema: set.schema,
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    const failed = results.find((r) => r.status === 'Error');
    if (error || failed) {
      throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`);
    }
    return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  } finally {
    await root.destroy();
  }
}

/** The body of each service's `migrate` command: DATABASE_URL from the environment. */
export async function runMigrationCommand(set: MigrationSet): Promise<void> {
  try {
    const { DATABASE_URL } = loadConfig(Type.Object({ DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }) }));
    const applied = await migrateToLatest(DATABASE_URL, set);
    process.stdout.write(
      applied.length ? `${set.schema}: applied ${applied.join(', ')}\n` : `${set.schema}: already up to date\n`,
    );
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? '' : `${set.schema}: `}${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
