/**
 * Demo data for the local stack. `./scripts/up` runs every step, in order, once all instances
 * are ready and on every start, so each step must be idempotent (create what is missing,
 * leave the rest). Each issue adds the steps for what it builds: the admin account
 * (ADMIN_EMAIL/ADMIN_PASSWORD) and a demo player with auth, a slate of fixtures with bets.
 * Today no service owns seedable data yet, so the list is empty.
 */
export interface SeedContext {
  /** The edge URL: seed through the public API where one exists. */
  edgeUrl: string;
  databaseUrl: string;
  /** Shared secret for service-to-service routes. */
  internalToken: string;
  log(message: string): void;
}

export interface SeedStep {
  name: string;
  run(context: SeedContext): Promise<void>;
}

export const seedSteps: readonly SeedStep[] = [];

export async function seed(context: SeedContext): Promise<void> {
  for (const step of seedSteps) {
    context.log(`seeding: ${step.name}`);
    await step.run(context);
  }
}
