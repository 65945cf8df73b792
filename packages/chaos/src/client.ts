/**
 * Every HTTP attempt of a chaos run goes through `ChaosClient.call`, which records it (kind,
 * start, end, status or network error, error code): the summary, the 5xx-storm check and the
 * PostgreSQL recovery time are all computed from these records afterwards.
 */

/** What a request does; each is served by one service (its database, for the DB-backed ones). */
export type RequestKind =
  | 'register'
  | 'login'
  | 'deposit'
  | 'get wallet'
  | 'bet'
  | 'get bets'
  | 'get events'
  | 'admin create event'
  | 'admin close event'
  | 'admin settle event'
  | 'probe';

export interface Attempt {
  kind: RequestKind;
  startedAt: number;
  endedAt: number;
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  /** The envelope's `code`, or the network error's name. */
  code: string;
}

export interface Answer {
  status: number;
  code: string;
  body: Record<string, any>;
}

export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** The outcome label of an attempt in the summary: `201`, `409 EVENT_NOT_OPEN`, `network TimeoutError`. */
export function outcomeLabel(attempt: Pick<Attempt, 'status' | 'code'>): string {
  if (attempt.status === 0) return `network ${attempt.code}`;
  return attempt.status < 300 || !attempt.code ? String(attempt.status) : `${attempt.status} ${attempt.code}`;
}

/** A 5xx or no answer at all: what a fault is allowed to cause and a healthy stack is not. */
export function isServerFailure(attempt: Pick<Attempt, 'status'>): boolean {
  return attempt.status === 0 || attempt.status >= 500;
}

export class ChaosClient {
  readonly attempts: Attempt[] = [];

  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  /** One attempt; throws NetworkError when no HTTP answer came. */
  async call(kind: RequestKind, method: string, path: string, options: { token?: string; body?: unknown; key?: string } = {}): Promise<Answer> {
    const startedAt = Date.now();
    const record = (status: number, code: string) => this.attempts.push({ kind, startedAt, endedAt: Date.now(), status, code });
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.key ? { 'idempotency-key': options.key } : {}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = (error as Error).name === 'TypeError' ? 'ConnectionError' : (error as Error).name;
      record(0, name);
      throw new NetworkError(`${method} ${path}: ${name}`, { cause: error });
    }
    let body: Record<string, any> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, any>) : {};
    } catch {
      // nginx's own pages are JSON too; anything else is recorded by its status alone.
    }
    const code = response.status >= 400 ? String(body.code ?? 'NO_ENVELOPE') : '';
    record(response.status, code);
    return { status: response.status, code, body };
  }
}
