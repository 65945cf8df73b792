import { randomUUID } from 'node:crypto';

export interface BenchUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

export interface BenchEvent {
  id: string;
  odds: { home: string; draw: string; away: string };
}

/** What every user deposits once after registering, through the public API. */
export const BENCH_DEPOSIT = '100.00';

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (response.status !== 201 && response.status !== 200) throw new Error(`POST ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** Runs `task` for 0..count-1 with at most `concurrency` in flight. */
async function inParallel<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

/** Registers `count` players through the edge (argon2 hash each) and tops each one up once. */
export async function registerUsers(edgeUrl: string, count: number, concurrency: number): Promise<BenchUser[]> {
  const run = randomUUID().slice(0, 8);
  return inParallel(count, concurrency, async (index) => {
    const email = `bench-${run}-${index}@ludic.bench`;
    const password = `bench-password-${index}`;
    const session = (await postJson(`${edgeUrl}/api/auth/register`, { email, password, name: `Bench ${index}` })) as { token: string; user: { id: string } };
    await postJson(`${edgeUrl}/api/wallet/deposit`, { amount: BENCH_DEPOSIT }, { authorization: `Bearer ${session.token}`, 'idempotency-key': randomUUID() });
    return { id: session.user.id, email, password, token: session.token };
  });
}

/** The open events of the seeded fixtures, with the odds a client would send back. */
export async function openEvents(edgeUrl: string): Promise<BenchEvent[]> {
  const response = await fetch(`${edgeUrl}/api/events?status=upcoming&limit=200`, { signal: AbortSignal.timeout(10_000) });
  const events = (await response.json()) as (BenchEvent & { startsAt: string })[];
  if (response.status !== 200) throw new Error(`GET /api/events answered ${response.status}`);
  // Kick-off closes an event for bets: keep those at least an hour away, so none closes mid-run.
  const open = events.filter((event) => Date.parse(event.startsAt) > Date.now() + 3_600_000);
  if (open.length === 0) throw new Error('no open events: the fixture seed did not run');
  return open.map(({ id, odds }) => ({ id, odds }));
}
