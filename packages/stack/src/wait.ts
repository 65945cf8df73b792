import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Says what we wait for, to name it in the timeout error. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Adds context (e.g. the tail of a log file) to the timeout error. */
  explain?: () => string;
}

/**
 * Polls `probe` until it resolves to a value other than undefined/false, or throws after
 * `timeoutMs` naming what was awaited and the last probe error.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const context = options.explain ? `\n${options.explain()}` : '';
      throw new Error(`Timed out after ${options.timeoutMs / 1000}s waiting for ${options.what}${cause}${context}`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** Resolves when `url` answers with `expectedStatus` (default 200). */
export async function waitForHttp(url: string, options: Omit<WaitOptions, 'what'> & { what?: string; expectedStatus?: number }): Promise<void> {
  const expected = options.expectedStatus ?? 200;
  await waitFor(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status !== expected) throw new Error(`${url} answered ${response.status}`);
      return true;
    },
    { ...options, what: options.what ?? `${url} to answer ${expected}` },
  );
}
