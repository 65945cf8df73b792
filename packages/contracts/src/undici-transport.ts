import { Pool } from 'undici';
import type { Transport } from './client.js';

export interface UndiciTransportOptions {
  /** `http://wallet:3002` — one origin; nginx or a service instance. */
  origin: string;
  /** Keep-alive connections in the pool. */
  connections?: number;
  /** Whole-exchange deadline, connect included. */
  timeoutMs: number;
  /** Headers added to every request (e.g. the internal service token). */
  headers?: Record<string, string>;
}

export interface UndiciTransport extends Transport {
  close(): Promise<void>;
}

/**
 * A keep-alive pool to one origin with hard timeouts: the caller never waits on the network
 * longer than `timeoutMs`, whatever the peer does.
 */
export function undiciTransport(options: UndiciTransportOptions): UndiciTransport {
  const pool = new Pool(options.origin, {
    connections: options.connections ?? 32,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 4_000,
    pipelining: 1,
  });
  const transport = (async (request) => {
    // Not AbortSignal.timeout: its timer fires even after the exchange is over, building a
    // DOMException (and its stack) for every call made; this one is cleared at the end.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The operation timed out', 'TimeoutError')), options.timeoutMs);
    try {
      const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
      const response = await pool.request({
        method: request.method as 'GET',
        path: request.path,
        headers: { ...options.headers, ...request.headers },
        body: request.body ?? null,
        signal,
      });
      const text = await response.body.text();
      const contentType = String(response.headers['content-type'] ?? '');
      const body = text && contentType.includes('json') ? JSON.parse(text) : text;
      return { status: response.statusCode, headers: response.headers, body };
    } finally {
      clearTimeout(timer);
    }
  }) as UndiciTransport;
  transport.close = () => pool.close();
  return transport;
}
