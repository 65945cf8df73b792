import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

/**
 * TEST DOUBLE — this is NOT PocketBase. The PocketBase binary cannot be installed where Ludic's
 * tests run, so this small server answers the four user flows the gateway uses the way
 * PocketBase v0.23+ does on the wire (shared/docs/pocketbase-api.md: envelopes, status codes,
 * field-error codes, record JSON, HS256 auth tokens), so the real `pocketbase` SDK can be
 * exercised against it. It stores users in memory and hashes with scrypt (PocketBase uses bcrypt;
 * the hash never crosses the wire). Knobs: `delayMs` (a slow PocketBase) and `stop()` (a dead one).
 */

const COLLECTION_ID = '_pb_users_auth_';
const TOKEN_LIFETIME_S = 604_800;
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

interface StoredUser {
  id: string;
  email: string;
  name: string;
  role: string;
  emailVisibility: boolean;
  verified: boolean;
  salt: Buffer;
  hash: Buffer;
  tokenKey: string;
  created: string;
  updated: string;
}

export interface PocketBaseTestDouble {
  url: string;
  /** Delay before every answer, to play a slow PocketBase. */
  delayMs: number;
  /** Records created, as PocketBase stores them (for "nothing stored" assertions). */
  readonly users: ReadonlyMap<string, Readonly<StoredUser>>;
  /** What a superuser would do in the dashboard: a user with a given `role`. */
  addUser(input: { email: string; password: string; name: string; role?: string }): Promise<string>;
  stop(): Promise<void>;
}

type FieldErrors = Record<string, { code: string; message: string }>;

const pbDate = (date: Date) => date.toISOString().replace('T', ' ');
const randomId = () => Array.from(randomBytes(15), (byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('');

export async function startPocketBaseTestDouble(options: { port?: number; delayMs?: number } = {}): Promise<PocketBaseTestDouble> {
  const secret = randomBytes(32).toString('hex');
  const users = new Map<string, StoredUser>();

  const record = (user: StoredUser, showEmail: boolean) => {
    // Go sorts map keys: PocketBase's record JSON comes out alphabetically.
    const body: Record<string, unknown> = {
      avatar: '',
      collectionId: COLLECTION_ID,
      collectionName: 'users',
      created: user.created,
      ...(showEmail || user.emailVisibility ? { email: user.email } : {}),
      emailVisibility: user.emailVisibility,
      id: user.id,
      name: user.name,
      ...(user.role ? { role: user.role } : {}),
      updated: user.updated,
      verified: user.verified,
    };
    return body;
  };

  const signToken = (user: StoredUser) => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
      collectionId: COLLECTION_ID,
      exp: Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S,
      id: user.id,
      refreshable: true,
      type: 'auth',
    })}`;
    return `${input}.${createHmac('sha256', user.tokenKey + secret).update(input).digest('base64url')}`;
  };

  const userOfToken = (header: string | undefined): StoredUser | undefined => {
    const token = header?.replace(/^bearer /i, '') ?? '';
    const [head, payload, signature] = token.split('.');
    if (!head || !payload || !signature) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { id?: string; type?: string; exp?: number; collectionId?: string };
      const user = claims.id ? users.get(claims.id) : undefined;
      if (!user || claims.type !== 'auth' || claims.collectionId !== COLLECTION_ID || !claims.exp || claims.exp * 1000 < Date.now()) return undefined;
      const expected = createHmac('sha256', user.tokenKey + secret).update(`${head}.${payload}`).digest();
      const given = Buffer.from(signature, 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined;
    } catch {
      return undefined;
    }
  };

  const createUser = async (input: { email: string; password: string; name: string; role?: string; emailVisibility?: boolean }) => {
    const salt = randomBytes(16);
    const now = pbDate(new Date());
    const user: StoredUser = {
      id: randomId(),
      email: input.email,
      name: input.name,
      role: input.role ?? '',
      emailVisibility: input.emailVisibility ?? false,
      verified: false,
      salt,
      hash: await scryptAsync(input.password, salt, 32),
      tokenKey: randomBytes(25).toString('hex'),
      created: now,
      updated: now,
    };
    users.set(user.id, user);
    return user;
  };

  const passwordMatches = async (user: StoredUser | undefined, password: string) => {
    const hash = await scryptAsync(password, user?.salt ?? randomBytes(16), 32);
    return user !== undefined && timingSafeEqual(hash, user.hash);
  };

  const signUp = async (body: Record<string, unknown>): Promise<[number, unknown]> => {
    const failed = (data: FieldErrors) => [400, { data, message: 'Failed to create record.', status: 400 }] as [number, unknown];
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    // Phase 1: password and its confirmation.
    const phase1: FieldErrors = {};
    if (!text('password')) phase1.password = { code: 'validation_required', message: 'Cannot be blank.' };
    if (!text('passwordConfirm')) phase1.passwordConfirm = { code: 'validation_required', message: 'Cannot be blank.' };
    else if (text('password') && text('password') !== text('passwordConfirm')) phase1.passwordConfirm = { code: 'validation_values_mismatch', message: "Values don't match." };
    if (Object.keys(phase1).length) return failed(phase1);
    // Phase 2: field validators.
    const phase2: FieldErrors = {};
    if (!text('email')) phase2.email = { code: 'validation_required', message: 'Cannot be blank.' };
    else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text('email'))) phase2.email = { code: 'validation_is_email', message: 'Must be a valid email address.' };
    const password = text('password');
    if (password.length < 8) phase2.password = { code: 'validation_min_text_constraint', message: 'Must be at least 8 character(s).' };
    else if (password.length > 71) phase2.password = { code: 'validation_max_text_constraint', message: 'Must be less than 71 character(s).' };
    if (text('name').length > 255) phase2.name = { code: 'validation_max_text_constraint', message: 'Must be less than 255 character(s).' };
    if (Object.keys(phase2).length) return failed(phase2);
    // pb_migrations' createRule: guests may not set `role` (fails the rule → 400 with no field data).
    if ('role' in body) return failed({});
    // Phase 3: unique index on email (PocketBase matches emails case-sensitively by default).
    if ([...users.values()].some((user) => user.email === text('email'))) return failed({ email: { code: 'validation_not_unique', message: 'Value must be unique.' } });
    const user = await createUser({ email: text('email'), password, name: text('name'), emailVisibility: body.emailVisibility === true });
    return [200, record(user, false)];
  };

  const authWithPassword = async (body: Record<string, unknown>): Promise<[number, unknown]> => {
    const identity = typeof body.identity === 'string' ? body.identity : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!identity || !password) {
      const data: FieldErrors = {};
      if (!identity) data.identity = { code: 'validation_required', message: 'Cannot be blank.' };
      if (!password) data.password = { code: 'validation_required', message: 'Cannot be blank.' };
      return [400, { data, message: 'An error occurred while validating the submitted data.', status: 400 }];
    }
    const user = [...users.values()].find((candidate) => candidate.email === identity);
    if (!(await passwordMatches(user, password)) || !user) return [400, { data: {}, message: 'Failed to authenticate.', status: 400 }];
    return [200, { record: record(user, true), token: signToken(user) }];
  };

  const route = async (request: IncomingMessage, body: Record<string, unknown>): Promise<[number, unknown]> => {
    const url = new URL(request.url ?? '/', 'http://double');
    const notFound: [number, unknown] = [404, { data: {}, message: "The requested resource wasn't found.", status: 404 }];
    if (url.pathname === '/api/health' && (request.method === 'GET' || request.method === 'HEAD')) return [200, { code: 200, data: {}, message: 'API is healthy.' }];
    if (request.method === 'POST' && url.pathname === '/api/collections/users/records') return signUp(body);
    if (request.method === 'POST' && url.pathname === '/api/collections/users/auth-with-password') return authWithPassword(body);
    if (request.method === 'POST' && url.pathname === '/api/collections/users/auth-refresh') {
      const user = userOfToken(request.headers.authorization);
      if (!user) return [401, { data: {}, message: 'The request requires valid record authorization token.', status: 401 }];
      return [200, { record: record(user, true), token: signToken(user) }];
    }
    const one = /^\/api\/collections\/users\/records\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'GET' && one) {
      const caller = userOfToken(request.headers.authorization);
      // viewRule `id = @request.auth.id`: anyone else gets 404, never 403.
      if (!caller || caller.id !== decodeURIComponent(one[1]!)) return notFound;
      return [200, record(caller, true)];
    }
    return notFound;
  };

  const state = { delayMs: options.delayMs ?? 0 };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(`${JSON.stringify(payload)}\n`);
      };
      if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (response.destroyed) return;
      let body: Record<string, unknown> = {};
      if (chunks.length > 0) {
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          body = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
        } catch {
          return send(400, { data: {}, message: 'An error occurred while loading the submitted data.', status: 400 });
        }
      }
      try {
        const [status, payload] = await route(request, body);
        send(status, payload);
      } catch {
        send(500, { data: {}, message: 'Something went wrong while processing your request.', status: 500 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    users,
    addUser: async (input) => (await createUser(input)).id,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
