/**
 * The login ceiling: argon2id verifications with the gateway's own parameters, on the libuv
 * thread pool exactly as the gateway runs them (@node-rs/argon2's async verify), with
 * CONCURRENCY verifications in flight for DURATION_MS. The caller sets UV_THREADPOOL_SIZE to
 * the gateway instances' total pool. Prints one JSON line: {operations, latencies}.
 */
import { hash, verify } from '@node-rs/argon2';
// The gateway's own constant, not a copy: the ceiling follows any change of its parameters.
import { ARGON2_OPTIONS } from '../../../services/auth-gateway/src/identity/builtin.js';

const concurrency = Number(process.env.CONCURRENCY);
const durationMs = Number(process.env.DURATION_MS);
const password = 'bench-password-1234';
const stored = await hash(password, ARGON2_OPTIONS);
const latencies: number[] = [];
const deadline = Date.now() + durationMs;

async function worker(): Promise<void> {
  while (Date.now() < deadline) {
    const started = performance.now();
    if (!(await verify(stored, password))) throw new Error('argon2 verification failed');
    latencies.push(performance.now() - started);
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
process.stdout.write(`${JSON.stringify({ operations: latencies.length, elapsedMs: performance.now() - started, latencies })}\n`);
