import { STATUS_CODES } from 'node:http';
import fastifySwagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import {
  ErrorCodes,
  ErrorEnvelope,
  internalRouteDocs,
  internalRoutes,
  operationalRoutes,
  publicRouteDocs,
  publicRoutes,
  type ErrorCode,
  type RouteContract,
  type RouteDocs,
} from '@ludic/contracts';
import Fastify, { type FastifyInstance, type FastifySchema, type RouteOptions } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { contractRoute } from './app.js';
import { validatorCompiler } from './validation.js';

/**
 * OpenAPI 3.1 from the contracts. Every service registers `registerOpenApi` (createServiceApp
 * does), so `app.swagger()` describes the routes it really registered, with the very TypeBox
 * schemas they validate with; `contractDocuments()` builds the same description from the
 * contracts alone on a bare Fastify instance (no database, no Redis), which is what
 * `docs/openapi.json` and `docs/openapi-internal.json` are generated from (./scripts/openapi).
 * A test holds the two equal, route for route.
 */

export type OpenApiDocument = OpenAPIV3_1.Document;
export type DocumentKind = 'public' | 'internal';

/** Bumped when the public contract changes (additively: see api.md). */
export const API_VERSION = '1.0.0';

/** Served by every instance for service authors (not routed by nginx); not part of any document. */
export const SERVICE_DOCUMENT_PATH = '/openapi.json';
const UNDOCUMENTED = new Set(['/metrics', SERVICE_DOCUMENT_PATH]);

const BEARER = 'bearerAuth';
const INTERNAL_TOKEN = 'internalToken';

interface CatalogEntry {
  name: string;
  contract: RouteContract;
  docs: RouteDocs;
  /** Which committed documents list the route. */
  documents: readonly DocumentKind[];
  tag: string;
}

const TAGS: { prefix: string; name: string; description: string }[] = [
  { prefix: '/api/auth/', name: 'Auth', description: 'Accounts and sessions (auth-gateway).' },
  { prefix: '/api/wallet', name: 'Wallet', description: 'Balance, ledger and demo top-ups (wallet).' },
  { prefix: '/api/events', name: 'Events', description: 'Football events and their 1X2 odds (bets).' },
  { prefix: '/api/bets', name: 'Bets', description: "Placing and following the caller's bets (bets)." },
  { prefix: '/api/leaderboard', name: 'Leaderboard', description: 'Top players by profit (bets).' },
  { prefix: '/api/admin/', name: 'Admin', description: 'Event management; role `admin` only (bets).' },
  { prefix: '/internal/wallet/', name: 'Wallet (internal)', description: 'Money movements for the bets service; idempotent by `reference`.' },
  { prefix: '/', name: 'Operations', description: 'Liveness and readiness of each service.' },
];

function tagOf(url: string): string {
  return TAGS.find((tag) => url === tag.prefix.replace(/\/$/, '') || url.startsWith(tag.prefix))!.name;
}

function entriesOf(
  routes: Record<string, RouteContract>,
  docs: Record<string, RouteDocs>,
  documents: readonly DocumentKind[],
): CatalogEntry[] {
  return Object.entries(routes).map(([name, contract]) => ({ name, contract, docs: docs[name]!, documents, tag: tagOf(contract.url) }));
}

const catalogEntries: CatalogEntry[] = [
  ...entriesOf(publicRoutes, publicRouteDocs, ['public']),
  ...entriesOf(internalRoutes, internalRouteDocs, ['internal']),
  // Through nginx `/health` is the gateway's; `/ready` is for orchestrators on the private network.
  { name: 'health', contract: operationalRoutes.health, docs: { errors: [] }, documents: ['public', 'internal'], tag: 'Operations' },
  { name: 'ready', contract: operationalRoutes.ready, docs: { errors: [] }, documents: ['internal'], tag: 'Operations' },
];

const catalog = new Map(catalogEntries.map((entry) => [`${entry.contract.method} ${entry.contract.url}`, entry]));

/** Example envelopes, one per code: what a client sees (messages are for people and may change). */
const errorExamples: Record<ErrorCode, { message: string; details?: Record<string, unknown> }> = {
  VALIDATION_ERROR: { message: 'invalid body', details: { fields: [{ field: 'body/amount', message: 'must match pattern "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$"' }] } },
  IDEMPOTENCY_KEY_REQUIRED: { message: 'this request needs an Idempotency-Key header' },
  UNAUTHORIZED: { message: 'a valid access token is required' },
  FORBIDDEN: { message: 'admin role required' },
  NOT_FOUND: { message: 'no route for GET /api/nothing' },
  METHOD_NOT_ALLOWED: { message: 'method not allowed' },
  PAYLOAD_TOO_LARGE: { message: 'Request body is larger than 64k' },
  URI_TOO_LONG: { message: 'The request line is longer than 8 KiB' },
  HEADERS_TOO_LARGE: { message: 'A request header is longer than 8 KiB or the headers are too large' },
  UNSUPPORTED_MEDIA_TYPE: { message: 'Unsupported Media Type: text/plain' },
  RATE_LIMITED: { message: 'too many requests; retry in 30 s', details: { retryAfterSeconds: 30 } },
  INTERNAL_ERROR: { message: 'internal error; quote the request id when reporting it', details: { requestId: 'b0c1e2d3-4f5a-4b6c-8d7e-9f0a1b2c3d4e' } },
  SERVICE_UNAVAILABLE: { message: 'the database is unavailable; retry shortly' },
  IDEMPOTENCY_KEY_REUSED: { message: 'this Idempotency-Key was used with a different request' },
  IDEMPOTENCY_IN_PROGRESS: { message: 'a request with this Idempotency-Key is still running; retry shortly' },
  INVALID_CREDENTIALS: { message: 'wrong email or password' },
  REFRESH_TOKEN_INVALID: { message: 'the refresh token is invalid, expired or spent' },
  EMAIL_TAKEN: { message: 'an account with this email exists' },
  IDENTITY_UNAVAILABLE: { message: 'the identity provider is unavailable; try again shortly' },
  WALLET_NOT_FOUND: { message: 'no wallet for this user' },
  INSUFFICIENT_FUNDS: { message: 'not enough money in the wallet' },
  DEPOSIT_LIMIT_EXCEEDED: { message: 'deposits may total at most 50000.00 in 24 hours', details: { dailyLimit: '50000.00', depositedLast24h: '45000.00' } },
  DEPOSITS_DISABLED: { message: 'deposits are turned off' },
  REFERENCE_CONFLICT: { message: 'this reference was used for another movement' },
  REFERENCE_VOIDED: { message: 'this reference was voided; the debit is refused' },
  EVENT_NOT_FOUND: { message: 'no such event' },
  BET_NOT_FOUND: { message: 'no such bet' },
  EVENT_NOT_OPEN: { message: 'the event does not take bets now', details: { status: 'live', startsAt: '2030-05-18T16:30:00.000Z' } },
  ODDS_CHANGED: { message: 'the odds are now 1.95', details: { odds: { home: '1.95', draw: '3.50', away: '3.60' }, selection: 'home' } },
  STAKE_TOO_LOW: { message: 'the smallest stake is 1.00', details: { minStake: '1.00' } },
  STAKE_TOO_HIGH: { message: 'the largest stake is 10000.00', details: { maxStake: '10000.00' } },
  PAYOUT_TOO_HIGH: { message: 'the largest potential win is 100000.00', details: { maxPayout: '100000.00', potentialWin: '150000.00' } },
  WALLET_UNAVAILABLE: { message: 'the wallet did not answer in time; nothing was taken' },
  INVALID_STATUS_TRANSITION: { message: 'an event cannot go from live to upcoming' },
  EVENT_ALREADY_SETTLED: { message: 'the event is already finished' },
};

function exampleEnvelope(code: ErrorCode) {
  const status = ErrorCodes[code];
  const { message, details } = errorExamples[code];
  return { statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message, ...(details ? { details } : {}) };
}

/** Every code the route can answer with: its own, plus those its shape and access imply. */
function errorCodesOf(entry: CatalogEntry): ErrorCode[] {
  const { contract } = entry;
  const { params, querystring, body, headers } = contract.schema;
  const codes: ErrorCode[] = [];
  if (params || querystring || body || headers) codes.push('VALIDATION_ERROR');
  if (contract.idempotencyKey) codes.push('IDEMPOTENCY_KEY_REQUIRED', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_IN_PROGRESS');
  if (contract.access !== 'public') codes.push('UNAUTHORIZED');
  if (contract.access === 'admin') codes.push('FORBIDDEN');
  codes.push(...entry.docs.errors, 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE');
  return [...new Set(codes)];
}

/** A response in OpenAPI's own shape (description, media type, named examples), which @fastify/swagger passes through. */
function jsonResponse(description: string, schema: unknown, examples?: Record<string, { value: unknown }>, mediaType = 'application/json') {
  return { description, content: { [mediaType]: { schema, ...(examples ? { examples } : {}) } } };
}

function errorResponsesOf(entry: CatalogEntry, components: Record<string, unknown>): Record<string, unknown> {
  const envelope = hoistNamedSchemas(ErrorEnvelope, components) as object;
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(entry)) byStatus.set(ErrorCodes[code], [...(byStatus.get(ErrorCodes[code]) ?? []), code]);
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = jsonResponse(
      `${STATUS_CODES[status]}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
      envelope,
      Object.fromEntries(codes.map((code) => [code, { value: exampleEnvelope(code) }])),
    );
  }
  responses['4XX'] = jsonResponse(
    'Any other client error, in the same envelope: `NOT_FOUND` (unknown path), `METHOD_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`.',
    envelope,
  );
  return responses;
}

const ACCESS_TEXT: Record<RouteContract['access'], string> = {
  public: 'Anonymous.',
  user: 'Needs an access token: `Authorization: Bearer <token>`.',
  admin: 'Needs an access token of a user with role `admin`.',
  service: 'Service to service: `x-internal-token: <INTERNAL_TOKEN>` (compared in constant time). Never routed by nginx.',
};

const IDEMPOTENCY_TEXT =
  'Requires `Idempotency-Key` (1–255 visible ASCII characters, scoped to the user, kept at least 24 h): a retry with the same key and body returns the first result; the same key with another body is 409 `IDEMPOTENCY_KEY_REUSED`; a retry while the first is still running is 409 `IDEMPOTENCY_IN_PROGRESS`.';

function successResponsesOf(response: Record<string, unknown>, components: Record<string, unknown>, mediaType: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(response)) {
    if (!/^[23]\d\d$/.test(status)) continue;
    out[status] = jsonResponse(STATUS_CODES[Number(status)] ?? 'Success', hoistNamedSchemas(schema, components), undefined, mediaType);
  }
  return out;
}

interface TransformInput {
  schema: FastifySchema;
  url: string;
  route: RouteOptions;
  openapiObject: Partial<OpenApiDocument>;
}

/** Keywords whose value is data, not a schema: never walked. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'required']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every contract schema with an `$id` (User, Event, Bet, ErrorEnvelope…) becomes a named
 * component and a `$ref`, so clients and code generators see one `Bet`, not a copy per route.
 * TypeBox literal unions (`anyOf` of `const`s) become the plain `enum` generators understand.
 */
function hoistNamedSchemas(schema: unknown, components: Record<string, unknown>): unknown {
  if (Array.isArray(schema)) return schema.map((item) => hoistNamedSchemas(item, components));
  if (!isPlainObject(schema)) return schema;
  const { $id, ...rest } = schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    out[key] = DATA_KEYWORDS.has(key) || key.startsWith('x-') ? value : hoistNamedSchemas(value, components);
  }
  const literals = Array.isArray(out.anyOf) ? (out.anyOf as unknown[]) : [];
  if (literals.length > 0 && literals.every((item) => isPlainObject(item) && item.type === 'string' && typeof item.const === 'string' && Object.keys(item).length === 2)) {
    delete out.anyOf;
    out.type = 'string';
    out.enum = literals.map((item) => (item as { const: string }).const);
  }
  if (typeof $id !== 'string') return out;
  components[$id] = out;
  return { $ref: `#/components/schemas/${$id}` };
}

/** Turns a registered route into its documented operation; fails loudly on a route that disagrees with its contract. */
function describeRoute({ schema, url, route, openapiObject }: TransformInput): { schema: FastifySchema } {
  if (UNDOCUMENTED.has(url)) return { schema: { ...schema, hide: true } };
  const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
  const entry = catalog.get(`${method} ${url}`);
  // A route without a contract is listed as registered, so the route-for-route test names it.
  if (!entry) return { schema };
  const registered = route.config?.access ?? 'public';
  if (registered !== entry.contract.access) {
    throw new Error(`${method} ${url} is registered with access ${registered}, but its contract says ${entry.contract.access}`);
  }
  const { contract, docs } = entry;
  const source = schema as Record<string, unknown> & { response?: Record<string, unknown>; headers?: Record<string, unknown> };
  const components = (openapiObject.components ??= {});
  const schemas = (components.schemas ??= {}) as Record<string, unknown>;
  const described: Record<string, unknown> = {
    ...source,
    operationId: entry.name,
    summary: contract.summary,
    description: [ACCESS_TEXT[contract.access], contract.idempotencyKey ? IDEMPOTENCY_TEXT : ''].filter(Boolean).join('\n\n'),
    tags: [entry.tag],
    'x-ludic-service': contract.service,
    response: { ...successResponsesOf(source.response ?? {}, schemas, docs.mediaType), ...errorResponsesOf(entry, schemas) },
  };
  if (contract.access === 'user' || contract.access === 'admin') described.security = [{ [BEARER]: [] }];
  if (contract.access === 'service') described.security = [{ [INTERNAL_TOKEN]: [] }];
  // The kit validates the header as optional so that its absence is a 400
  // IDEMPOTENCY_KEY_REQUIRED in our envelope; for a client it is simply required.
  if (contract.idempotencyKey && source.headers) {
    described.headers = { ...source.headers, required: ['idempotency-key'] };
  }
  if (docs.bodyExample && source.body) described.body = { ...(source.body as object), examples: [docs.bodyExample] };
  return { schema: hoistNamedSchemas(described, schemas) as FastifySchema };
}

const PUBLIC_DESCRIPTION = `The public HTTP API of Ludic, a sportsbook: accounts, wallet, football events, bets and settlement. Every path here is served through nginx.

- JSON in and out, UTF-8. Money is a decimal string with at most two places (\`"100.00"\`) in one currency per deployment; odds are decimal strings (\`"2.50"\`).
- Lists are bare arrays paged with \`?limit=\` (default 50, max 200) and \`?before=<id of the last item seen>\`; bets and transactions newest first, events soonest kick-off first.
- Errors share one envelope, \`{statusCode, code, error, message, details?}\`: branch on \`code\`, never on \`message\`. Each operation lists the codes it can answer with, with an example of each.
- Every response carries \`x-request-id\` (send your own to correlate) and \`x-served-by\` (the instance that answered).
- Access tokens live 15 minutes; refresh them with \`POST /api/auth/refresh\`. \`GET /api/bets/stream\` is Server-Sent Events read with \`fetch\` (tokens never go in URLs).`;

const INTERNAL_DESCRIPTION = `Routes Ludic services call on each other on the private network (never routed by nginx), plus the operational endpoints every service answers. Every service also serves \`/metrics\` (Prometheus) and \`${SERVICE_DOCUMENT_PATH}\` (its own routes as OpenAPI). Callers send \`x-internal-token\`; every money movement is idempotent by \`reference\`.`;

function swaggerOptions(kind: DocumentKind | 'service'): FastifyDynamicSwaggerOptions {
  const title = kind === 'internal' ? 'Ludic internal API' : kind === 'service' ? 'Ludic service routes' : 'Ludic API';
  const documents = kind === 'service' ? ['public', 'internal'] : [kind];
  const tags = TAGS.filter((tag) => catalogEntries.some((entry) => entry.tag === tag.name && entry.documents.some((d) => documents.includes(d))));
  return {
    openapi: {
      openapi: '3.1.0',
      info: { title, version: API_VERSION, description: kind === 'public' ? PUBLIC_DESCRIPTION : INTERNAL_DESCRIPTION },
      tags: tags.map(({ name, description }) => ({ name, description })),
      components: {
        securitySchemes: {
          [BEARER]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from register, login or refresh (EdDSA, 15 min).' },
          [INTERNAL_TOKEN]: { type: 'apiKey', in: 'header', name: 'x-internal-token', description: 'The shared INTERNAL_TOKEN of the deployment.' },
        },
      },
    },
    transform: describeRoute as FastifyDynamicSwaggerOptions['transform'],
  };
}

/** Registers @fastify/swagger with Ludic's descriptions; routes added afterwards are collected. */
export async function registerOpenApi(app: FastifyInstance, kind: DocumentKind | 'service' = 'service'): Promise<void> {
  await app.register(fastifySwagger, swaggerOptions(kind));
}

/** Contract routes on the documentation-only instance are described, never called. */
function unreachable(): never {
  throw new Error('documentation-only route');
}

/** The committed document of `kind`, built from the contracts alone. */
export async function contractDocument(kind: DocumentKind): Promise<OpenApiDocument> {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  await registerOpenApi(app, kind);
  for (const entry of catalogEntries.filter((e) => e.documents.includes(kind))) {
    app.route({ ...contractRoute(entry.contract), handler: unreachable });
  }
  await app.ready();
  const document = structuredClone(app.swagger()) as OpenApiDocument;
  await app.close();
  return document;
}

/** Every documented route: `METHOD /path` → which documents list it and which service serves it. */
export function documentedRoutes(): { method: string; url: string; service: string; documents: readonly DocumentKind[] }[] {
  return catalogEntries.map((entry) => ({ method: entry.contract.method, url: entry.contract.url, service: entry.contract.service, documents: entry.documents }));
}
