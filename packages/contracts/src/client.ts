import type { Static, TSchema } from '@sinclair/typebox';
import { isErrorEnvelope, type ErrorEnvelope } from './errors.js';
import type { RouteContract, RouteSchema } from './routes.js';

/** What a transport must do: one HTTP exchange. undici for services, fetch for browsers. */
export interface TransportRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}
export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

type StaticOf<T> = T extends TSchema ? Static<T> : never;
type SuccessStatus = 200 | 201 | 202 | 204;
type SuccessBody<S extends RouteSchema> = StaticOf<S['response'][Extract<keyof S['response'], SuccessStatus>]>;

export type CallInput<S extends RouteSchema> = (S['params'] extends TSchema ? { params: Static<S['params']> } : { params?: never }) &
  (S['querystring'] extends TSchema ? { query?: Partial<Static<S['querystring']>> } : { query?: never }) &
  (S['body'] extends TSchema ? { body: Static<S['body']> } : { body?: never }) & {
    headers?: Record<string, string>;
    signal?: AbortSignal;
  };

/** A non-2xx answer. `envelope` is the server's error envelope when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly envelope: ErrorEnvelope | undefined;
  constructor(status: number, envelope: ErrorEnvelope | undefined) {
    super(envelope?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = envelope?.code ?? `HTTP_${status}`;
    this.envelope = envelope;
  }
}

export function buildPath(url: string, params: Record<string, string> | undefined, query: object | undefined): string {
  const path = url.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name} for ${url}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) search.append(key, String(value));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * Calls a route of the contract and returns its success body, typed from the contract.
 * Non-2xx answers throw ApiError carrying the envelope.
 */
export async function callRoute<S extends RouteSchema>(
  transport: Transport,
  contract: RouteContract<S>,
  input: CallInput<S>,
): Promise<SuccessBody<S>> {
  const { params, query, body, headers, signal } = input as {
    params?: Record<string, string>; query?: object; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal;
  };
  const request: TransportRequest = {
    method: contract.method,
    path: buildPath(contract.url, params, query),
    headers: { accept: 'application/json', ...headers },
  };
  if (body !== undefined) {
    request.body = JSON.stringify(body);
    request.headers['content-type'] = 'application/json';
  }
  if (signal) request.signal = signal;
  const response = await transport(request);
  if (response.status >= 200 && response.status < 300) return response.body as SuccessBody<S>;
  throw new ApiError(response.status, isErrorEnvelope(response.body) ? response.body : undefined);
}

/** Binds a set of routes to a transport: `client.debit({ body })`. */
export function createClient<R extends Record<string, RouteContract>>(routes: R, transport: Transport) {
  const client = {} as { [K in keyof R]: (input: CallInput<R[K]['schema']>) => Promise<SuccessBody<R[K]['schema']>> };
  for (const [name, contract] of Object.entries(routes)) {
    (client as Record<string, unknown>)[name] = (input: CallInput<RouteSchema>) => callRoute(transport, contract, input);
  }
  return client;
}
