import http from 'node:http';
import type autocannon from 'autocannon';
import type { LoadResult } from './scenarios.js';

export interface PacedOptions {
  url: string;
  /** Keep-alive connections to draw from (a request waits for a free one; that wait counts). */
  connections: number;
  durationSeconds: number;
  /** Requests per second, sent at even intervals. */
  rate: number;
}

const TIMEOUT_MS = 10_000;

/**
 * An open-loop load at a fixed rate: request i is due at start + i / rate, whatever happened to
 * the ones before, and its latency counts from when it was due (so a request delayed by a busy
 * client or by waiting for a connection is charged for it: no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon (8.0) resets each connection's quota once a
 * second (lib/httpClient.js), so all connections fire their whole quota together at each second
 * boundary — a burst of `connections` concurrent requests, not a rate — and it "corrects" those
 * latencies with an expected interval of Math.ceil(1 / rate) = 1 ms (lib/run.js), adding a
 * synthetic sample per millisecond of every slow response. Its p99 at a rate measures its own
 * bursts. Throughput scenarios (closed loop, as fast as answered) still use autocannon.
 */
export async function runPaced(options: PacedOptions, requests: autocannon.Request[]): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.max(1, Math.round(options.rate * options.durationSeconds));
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const failureSamples: string[] = [];
  let errors = 0;
  let non2xx = 0;

  const send = (index: number, dueAt: number): Promise<void> => {
    const template = requests[index % requests.length]!;
    const base = { method: template.method ?? 'GET', path: template.path ?? '/', headers: { ...(template.headers ?? {}) }, body: template.body };
    const setup = typeof template.setupRequest === 'function' ? template.setupRequest : undefined;
    const request = (setup ? setup(base as never, {}) : base) as typeof base;
    const body = typeof request.body === 'string' ? request.body : undefined;
    return new Promise<void>((resolve) => {
      const outgoing = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.path,
          headers: { ...request.headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
          timeout: TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (status >= 200 && status <= 299) latencies.push(performance.now() - dueAt);
            else {
              non2xx++;
              if (failureSamples.length < 3) failureSamples.push(`${status} ${Buffer.concat(chunks).toString().slice(0, 300)}`);
            }
            resolve();
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
      outgoing.on('error', () => {
        errors++;
        resolve();
      });
      outgoing.end(body);
    });
  };

  const startedAt = performance.now() + 20;
  const inFlight: Promise<void>[] = [];
  for (let index = 0; index < total; ) {
    const now = performance.now();
    // Everything due by now goes out now (a late timer never thins the rate).
    while (index < total && startedAt + index * intervalMs <= now) {
      inFlight.push(send(index, startedAt + index * intervalMs));
      index++;
    }
    if (index < total) await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + index * intervalMs - performance.now())));
  }
  await Promise.all(inFlight);
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => (latencies.length === 0 ? 0 : Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]! * 10) / 10);
  return {
    requestsPerSecond: latencies.length / elapsedSeconds,
    requests: total - errors,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    errors,
    non2xx,
    statusCodes,
    failureSamples,
  };
}
