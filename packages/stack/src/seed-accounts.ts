import type { SeedContext } from './seed.js';

/** The demo player `./scripts/up` creates next to the admin (documented in the README). */
export const DEMO_PLAYER = { email: 'player@ludic.local', password: 'ludic-player-2024', name: 'Demo Player' };

async function post(url: string, body: unknown): Promise<{ status: number; code?: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const payload = (await response.json().catch(() => ({}))) as { code?: string };
  return { status: response.status, code: payload.code };
}

/**
 * Makes sure an account exists, through the gateway's public API (so it works with either
 * identity provider): logs in, and registers only if that fails. Idempotent.
 */
export async function ensureAccount(context: SeedContext, account: { email: string; password: string; name: string }): Promise<void> {
  const login = await post(`${context.edgeUrl}/api/auth/login`, { email: account.email, password: account.password });
  if (login.status === 200) return context.log(`${account.email} exists`);
  const registered = await post(`${context.edgeUrl}/api/auth/register`, account);
  if (registered.status === 201) return context.log(`${account.email} created`);
  if (registered.code === 'EMAIL_TAKEN') return context.log(`${account.email} exists with another password; left as it is`);
  throw new Error(`could not create ${account.email}: ${registered.status} ${registered.code ?? ''}`);
}
