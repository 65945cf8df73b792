import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { startTestStack, type ServiceName } from '@ludic/stack';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import t, { type Test } from 'tap';
import type { OpenApiDocument } from './openapi.js';
import { openApiFiles } from './openapi-files.js';

/**
 * The documents against the real thing: every running service registers exactly the
 * documented routes (same operations, same schemas), and real answers of the main flows and
 * of one error of each kind are valid against the documented response schema of their status,
 * with an error code the document lists for it.
 */

const docsDir = new URL('../../../docs/', import.meta.url);
const load = async (file: string) => JSON.parse(await readFile(new URL(file, docsDir), 'utf8')) as OpenApiDocument;
const documents = { public: await load(openApiFiles.public), internal: await load(openApiFiles.internal) };

type Responses = Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }>;
type Operation = { 'x-ludic-service'?: string; responses: Responses };

function operationsOf(document: OpenApiDocument): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item ?? {})) operations.set(`${method.toUpperCase()} ${path}`, operation as Operation);
  }
  return operations;
}

const escapePointer = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');

/** Checks one real answer against the document: documented status, schema-valid body, listed error code. */
function conformanceChecker(kind: keyof typeof documents) {
  const document = documents[kind];
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  ajv.addSchema(document as object, kind);
  const validators = new Map<string, ValidateFunction>();
  return (t: Test, method: string, template: string, answer: { status: number; body: unknown }) => {
    const operation = (document.paths?.[template] as Record<string, Operation> | undefined)?.[method.toLowerCase()];
    if (!t.ok(operation, `${method} ${template} is documented`) || !operation) return;
    const status = String(answer.status);
    const key = operation.responses[status] ? status : `${status[0]}XX`;
    const response = operation.responses[key];
    if (!t.ok(response, `${method} ${template} documents ${status}`) || !response) return;
    const pointer = `${kind}#/paths/${escapePointer(template)}/${method.toLowerCase()}/responses/${key}/content/application~1json/schema`;
    let validate = validators.get(pointer);
    if (!validate) validators.set(pointer, (validate = ajv.compile({ $ref: pointer })));
    t.ok(validate(answer.body), `${method} ${template} ${status} matches its schema ${JSON.stringify(validate.errors ?? [])}`);
    if (answer.status >= 400 && key === status) {
      const code = (answer.body as { code?: string }).code ?? '';
      t.ok(Object.keys(response.content?.['application/json']?.examples ?? {}).includes(code), `${method} ${template} lists ${code} under ${status}`);
    }
  };
}

interface Answer {
  status: number;
  body: unknown;
}

async function call(base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

t.test('against a running stack', async (t) => {
  // A low login limit makes the 429 cheap to reach; it is counted per client and account.
  const stack = await startTestStack(t, { env: { 'auth-gateway': { LOGIN_RATE_LIMIT_MAX: '3' } } });

  await t.test('every service registers exactly the documented routes, with the documented schemas', async (t) => {
    const committed = new Map([...operationsOf(documents.public), ...operationsOf(documents.internal)]);
    for (const [service, instances] of Object.entries(stack.instances) as [ServiceName, { url: string }[]][]) {
      const live = (await (await fetch(`${instances[0]!.url}/openapi.json`)).json()) as OpenApiDocument;
      const liveOperations = operationsOf(live);
      const expected = [...committed].filter(([key, operation]) => operation['x-ludic-service'] === service || key === 'GET /health' || key === 'GET /ready');
      t.same([...liveOperations.keys()].sort(), expected.map(([key]) => key).sort(), `${service}: registered routes = documented routes`);
      for (const [key, operation] of expected) t.same(liveOperations.get(key), operation, `${service}: ${key} as documented`);
      for (const [name, schema] of Object.entries(live.components?.schemas ?? {})) {
        t.same(schema, documents.public.components?.schemas?.[name] ?? documents.internal.components?.schemas?.[name], `${service}: schema ${name} as documented`);
      }
    }
  });

  await t.test('main flows and one error of each kind answer as documented', async (t) => {
    const conform = conformanceChecker('public');
    const edge = stack.url;
    const step = async (method: string, template: string, path: string, options: Parameters<typeof call>[3] = {}) => {
      const answer = await call(edge, method, path, options);
      conform(t, method, template, answer);
      return answer;
    };
    const player = { email: `docs-${randomUUID()}@example.com`, password: 'correct-horse-battery', name: 'Docs Player' };
    const registered = await step('POST', '/api/auth/register', '/api/auth/register', { body: player });
    t.equal(registered.status, 201);
    const admin = await step('POST', '/api/auth/register', '/api/auth/register', { body: { email: stack.adminEmails.split(',')[0], password: 'correct-horse-battery', name: 'Docs Admin' } });
    t.equal(admin.status, 201);
    const adminToken = (admin.body as { token: string }).token;
    const login = await step('POST', '/api/auth/login', '/api/auth/login', { body: { email: player.email, password: player.password } });
    t.equal(login.status, 200);
    const { token, refreshToken } = login.body as { token: string; refreshToken: string };

    t.equal((await step('GET', '/api/auth/me', '/api/auth/me', { token })).status, 200);
    t.equal((await step('GET', '/api/wallet', '/api/wallet', { token })).status, 200);
    const deposit = { token, body: { amount: '500.00' }, headers: { 'idempotency-key': `docs-${randomUUID()}` } };
    t.equal((await step('POST', '/api/wallet/deposit', '/api/wallet/deposit', deposit)).status, 201);
    t.equal((await step('GET', '/api/wallet/transactions', '/api/wallet/transactions?limit=10', { token })).status, 200);

    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    const eventBody = { tournament: 'Docs Cup', round: 'Final', homeTeam: 'Docs United', awayTeam: 'Spec City', startsAt, odds: { home: '2.10', draw: '3.40', away: '3.25' } };
    const created = await step('POST', '/api/admin/events', '/api/admin/events', { token: adminToken, body: eventBody });
    t.equal(created.status, 201);
    const eventId = (created.body as { id: string }).id;
    t.equal((await step('GET', '/api/events', '/api/events', {})).status, 200);
    t.equal((await step('GET', '/api/events/{id}', `/api/events/${eventId}`, {})).status, 200);

    const bet = await step('POST', '/api/bets', '/api/bets', {
      token,
      body: { eventId, selection: 'home', odds: '2.10', amount: '100.00' },
      headers: { 'idempotency-key': `docs-${randomUUID()}` },
    });
    t.equal(bet.status, 201);
    t.equal((await step('GET', '/api/bets', '/api/bets', { token })).status, 200);
    t.equal((await step('GET', '/api/bets/{id}', `/api/bets/${(bet.body as { id: string }).id}`, { token })).status, 200);

    t.equal((await step('PATCH', '/api/admin/events/{id}', `/api/admin/events/${eventId}`, { token: adminToken, body: { status: 'live' } })).status, 200);
    t.equal((await step('POST', '/api/admin/events/{id}/settle', `/api/admin/events/${eventId}/settle`, { token: adminToken, body: { result: 'home', score: { home: 2, away: 0 } } })).status, 200);
    const other = await step('POST', '/api/admin/events', '/api/admin/events', { token: adminToken, body: { ...eventBody, homeTeam: 'Other Town' } });
    t.equal((await step('POST', '/api/admin/events/{id}/cancel', `/api/admin/events/${(other.body as { id: string }).id}/cancel`, { token: adminToken })).status, 200);
    t.equal((await step('GET', '/api/leaderboard', '/api/leaderboard', {})).status, 200);
    t.equal((await step('GET', '/health', '/health', {})).status, 200);

    // One error of each kind.
    const expectError = async (status: number, code: string, method: string, template: string, path: string, options: Parameters<typeof call>[3] = {}) => {
      const answer = await step(method, template, path, options);
      t.match(answer, { status, body: { code } }, `${method} ${path}: ${status} ${code}`);
    };
    await expectError(400, 'VALIDATION_ERROR', 'POST', '/api/wallet/deposit', '/api/wallet/deposit', { ...deposit, body: { amount: 100 }, headers: { 'idempotency-key': `docs-${randomUUID()}` } });
    await expectError(400, 'IDEMPOTENCY_KEY_REQUIRED', 'POST', '/api/wallet/deposit', '/api/wallet/deposit', { token, body: { amount: '1.00' } });
    await expectError(401, 'UNAUTHORIZED', 'GET', '/api/wallet', '/api/wallet');
    await expectError(401, 'INVALID_CREDENTIALS', 'POST', '/api/auth/login', '/api/auth/login', { body: { email: player.email, password: 'wrong-password-1' } });
    await expectError(403, 'FORBIDDEN', 'POST', '/api/admin/events', '/api/admin/events', { token, body: eventBody });
    await expectError(404, 'BET_NOT_FOUND', 'GET', '/api/bets/{id}', `/api/bets/${randomUUID()}`, { token });
    await expectError(404, 'EVENT_NOT_FOUND', 'GET', '/api/events/{id}', `/api/events/${randomUUID()}`);
    await expectError(409, 'EMAIL_TAKEN', 'POST', '/api/auth/register', '/api/auth/register', { body: player });
    await expectError(409, 'IDEMPOTENCY_KEY_REUSED', 'POST', '/api/wallet/deposit', '/api/wallet/deposit', { ...deposit, body: { amount: '600.00' } });
    await expectError(409, 'EVENT_NOT_OPEN', 'POST', '/api/bets', '/api/bets', {
      token,
      body: { eventId, selection: 'home', odds: '2.10', amount: '10.00' },
      headers: { 'idempotency-key': `docs-${randomUUID()}` },
    });
    await expectError(422, 'DEPOSIT_LIMIT_EXCEEDED', 'POST', '/api/wallet/deposit', '/api/wallet/deposit', { ...deposit, body: { amount: '20000.00' }, headers: { 'idempotency-key': `docs-${randomUUID()}` } });
    const throwaway = { email: `docs-limit-${randomUUID()}@example.com`, password: 'wrong-password-1' };
    for (let attempt = 0; attempt < 3; attempt += 1) await call(edge, 'POST', '/api/auth/login', { body: throwaway });
    await expectError(429, 'RATE_LIMITED', 'POST', '/api/auth/login', '/api/auth/login', { body: throwaway });

    t.equal((await step('POST', '/api/auth/refresh', '/api/auth/refresh', { body: { refreshToken } })).status, 200);
    t.equal((await step('POST', '/api/auth/logout', '/api/auth/logout', { token: (registered.body as { token: string }).token })).status, 200);
  });

  await t.test('internal routes answer as the internal document says', async (t) => {
    const conform = conformanceChecker('internal');
    const wallet = stack.instances.wallet[0]!.url;
    const step = async (method: string, template: string, path: string, options: Parameters<typeof call>[3] = {}) => {
      const answer = await call(wallet, method, path, options);
      conform(t, method, template, answer);
      return answer;
    };
    const internal = { 'x-internal-token': stack.internalToken };
    const userId = `docs${randomUUID().replaceAll('-', '').slice(0, 11)}`;
    const reference = `docs:${randomUUID()}`;
    t.equal((await step('POST', '/internal/wallet/credit', '/internal/wallet/credit', { headers: internal, body: { userId, amount: '50.00', reference: `${reference}-in`, type: 'adjustment' } })).status, 200);
    t.equal((await step('POST', '/internal/wallet/debit', '/internal/wallet/debit', { headers: internal, body: { userId, amount: '10.00', reference } })).status, 200);
    t.equal((await step('GET', '/internal/wallet/entries', `/internal/wallet/entries?reference=${encodeURIComponent(reference)}`, { headers: internal })).status, 200);
    t.equal((await step('POST', '/internal/wallet/void', '/internal/wallet/void', { headers: internal, body: { reference } })).status, 200);
    t.equal((await step('GET', '/ready', '/ready', {})).status, 200);
    const refused = await step('POST', '/internal/wallet/debit', '/internal/wallet/debit', { body: { userId, amount: '10.00', reference: `${reference}-2` } });
    t.match(refused, { status: 401, body: { code: 'UNAUTHORIZED' } });
    const overdrawn = await step('POST', '/internal/wallet/debit', '/internal/wallet/debit', { headers: internal, body: { userId, amount: '100000.00', reference: `${reference}-3` } });
    t.match(overdrawn, { status: 422, body: { code: 'INSUFFICIENT_FUNDS' } });
  });
});
