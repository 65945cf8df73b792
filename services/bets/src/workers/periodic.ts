import type { FastifyBaseLogger } from 'fastify';

export interface PeriodicWorker {
  /** Runs one pass now (tests use it); concurrent calls share the running pass. */
  runOnce(): Promise<void>;
  /** Stops scheduling and waits for the pass in progress, if any. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `intervalMs` (measured from the end of one pass to the start of the next,
 * so passes never overlap in one process). A failing pass is logged and retried next time.
 */
export function startPeriodic(name: string, intervalMs: number, pass: () => Promise<void>, log: FastifyBaseLogger): PeriodicWorker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const runOnce = (): Promise<void> => {
    if (!running) {
      running = pass()
        .catch((err: unknown) => log.warn({ err, worker: name }, 'worker pass failed; retrying on the next tick'))
        .finally(() => {
          running = undefined;
        });
    }
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().then(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
