import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createClient, internalRoutes, type Event } from '@ludic/contracts';
import { undiciTransport } from '@ludic/contracts/undici';
import { generateSigningKey, signTestToken } from '@ludic/service-kit/testing';
import {
  createTestDatabase,
  getFreePorts,
  startServiceInstance,
  testDir,
  testRedisUrl,
  testServiceRuntime,
  type ServiceInstance,
  type SharedServiceConfig,
  type Teardown,
} from '@ludic/stack';
import pg from 'pg';

/**
 * The bets service against a real wallet, PostgreSQL and Redis, with timers short enough for
 * tests: the reconciler judges debits after 5 s instead of 30 s. Bets instances can be added
 * with their own variables (a fault switch) and any instance stopped and started again.
 */
export const FAST_BETS_ENV = {
  DATABASE_STATEMENT_TIMEOUT_MS: '1000',
  WALLET_TIMEOUT_MS: '1000',
  BET_TRANSACTION_DEADLINE_MS: '2500',
  RECONCILE_AFTER_MS: '5000',
  RECONCILE_INTERVAL_MS: '250',
  OUTBOX_INTERVAL_MS: '200',
  OUTBOX_LEASE_MS: '1500',
  OUTBOX_MAX_BACKOFF_MS: '1000',
  // These tests push one player far past a human pace (500 bets at once) on purpose.
  USER_RATE_LIMIT_MAX: '1000000',
  KICKOFF_INTERVAL_MS: '200',
  STREAM_KEEPALIVE_MS: '15000',
} as const;

export interface Player {
  userId: string;
  name: string;
  token: string;
  headers: Record<string, string>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface BetsSystem {
  pool: pg.Pool;
  wallet: ReturnType<typeof createClient<typeof internalRoutes>>;
  walletInstance(): ServiceInstance;
  stopWallet(): Promise<void>;
  startWallet(): Promise<void>;
  bets: ServiceInstance[];
  startBets(extraEnv?: Record<string, string>): Promise<ServiceInstance>;
  player(name?: string): Player;
  admin(): Player;
  /** A JSON request to a bets instance (the first by default). */
  call<T = any>(method: string, url: string, options?: { player?: Player; body?: unknown; headers?: Record<string, string>; instance?: ServiceInstance }): Promise<ApiResponse<T>>;
  /** Funds a player with an `adjustment` credit (creates the wallet with its opening balance first). */
  fund(player: Player, amount: string): Promise<void>;
  balance(player: Player): Promise<string>;
  createEvent(overrides?: Partial<{ startsAt: string; odds: { home: string; draw: string; away: string } }>): Promise<Event>;
  shared: SharedServiceConfig;
  databaseUrl: string;
}

/** `firstBetsEnv`: variables of the first bets instance only (e.g. a fault switch). */
export async function startBetsSystem(t: Teardown, options: { firstBetsEnv?: Record<string, string>; walletEnv?: Record<string, string> } = {}): Promise<BetsSystem> {
  const started: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const stop of started.reverse()) await stop();
  });
  const database = await createTestDatabase();
  started.push(database.drop);
  const key = generateSigningKey();
  const shared: SharedServiceConfig = {
    databaseUrl: database.url,
    redisUrl: testRedisUrl(),
    internalToken: randomBytes(32).toString('base64url'),
    walletUrl: '',
    jwtPrivateJwk: JSON.stringify(key.privateJwk),
    jwtPublicJwks: key.jwks,
    adminEmails: 'admin@ludic.test',
    nodeEnv: 'test',
    logLevel: 'warn',
  };
  const tokenEnv = { JWT_PUBLIC_JWKS: key.jwks, JWT_ISSUER: 'ludic-auth', JWT_AUDIENCE: 'ludic' };
  const [walletPort] = await getFreePorts(1);
  shared.walletUrl = `http://127.0.0.1:${walletPort}`;
  const logDir = testDir('bets');
  let instanceNo = 0;

  let wallet: ServiceInstance | undefined;
  const startWallet = async () => {
    wallet = await startServiceInstance({
      service: 'wallet',
      port: walletPort!,
      serverId: 'wallet-1',
      shared,
      runtime: testServiceRuntime(),
      logFile: path.join(logDir, 'wallet.log'),
      healthTimeoutMs: 60_000,
      extraEnv: { ...tokenEnv, OPENING_BALANCE: '0.00', ...options.walletEnv },
    });
    const instance = wallet;
    started.push(() => instance.stop());
  };
  await startWallet();

  const bets: ServiceInstance[] = [];
  const startBets = async (extraEnv: Record<string, string> = {}) => {
    const [port] = await getFreePorts(1);
    const serverId = `bets-${++instanceNo}`;
    const instance = await startServiceInstance({
      service: 'bets',
      port: port!,
      serverId,
      shared,
      runtime: testServiceRuntime(),
      logFile: path.join(logDir, `${serverId}.log`),
      healthTimeoutMs: 60_000,
      extraEnv: { ...tokenEnv, ...FAST_BETS_ENV, ...extraEnv },
    });
    bets.push(instance);
    started.push(() => instance.stop());
    return instance;
  };
  await startBets(options.firstBetsEnv);

  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  started.push(() => pool.end());
  const transport = undiciTransport({ origin: shared.walletUrl, timeoutMs: 5_000, headers: { 'x-internal-token': shared.internalToken } });
  started.push(() => transport.close());
  const walletClient = createClient(internalRoutes, transport);

  const makePlayer = (role: 'player' | 'admin', name: string): Player => {
    const { token, claims } = signTestToken(key, { role, name, ...(role === 'admin' ? { email: 'admin@ludic.test' } : {}) });
    return { userId: claims.sub, name, token, headers: { authorization: `Bearer ${token}` } };
  };
  const adminPlayer = makePlayer('admin', 'Admin');

  const call: BetsSystem['call'] = async (method, url, callOptions = {}) => {
    const instance = callOptions.instance ?? bets[0]!;
    const headers: Record<string, string> = { ...callOptions.player?.headers, ...callOptions.headers };
    if (callOptions.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${instance.url}${url}`, {
      method,
      headers,
      ...(callOptions.body !== undefined ? { body: JSON.stringify(callOptions.body) } : {}),
      // Generous: one player's 250 queued bets per instance run one after another on a loaded runner.
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  return {
    pool,
    wallet: walletClient,
    walletInstance: () => wallet!,
    stopWallet: () => wallet!.stop(),
    startWallet,
    bets,
    startBets,
    player: (name = 'Player') => makePlayer('player', name),
    admin: () => adminPlayer,
    call,
    async fund(player, amount) {
      await walletClient.credit({ body: { userId: player.userId, amount, reference: `adjustment:${randomUUID()}`, type: 'adjustment' } });
    },
    async balance(player) {
      const { rows } = await pool.query<{ balance: string }>('select balance::text from wallet.wallets where user_id = $1', [player.userId]);
      const minor = BigInt(rows[0]?.balance ?? '0');
      return `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
    },
    async createEvent(overrides = {}) {
      const response = await call<Event>('POST', '/api/admin/events', {
        player: adminPlayer,
        body: {
          tournament: 'Premier League',
          round: 'Matchday 1',
          homeTeam: `Home ${randomUUID().slice(0, 6)}`,
          awayTeam: `Away ${randomUUID().slice(0, 6)}`,
          startsAt: overrides.startsAt ?? new Date(Date.now() + 3_600_000).toISOString(),
          odds: overrides.odds ?? { home: '2.50', draw: '3.20', away: '2.80' },
        },
      });
      if (response.status !== 201) throw new Error(`createEvent: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body;
    },
    shared,
    databaseUrl: database.url,
  };
}

/** Places a bet with a fresh Idempotency-Key unless one is given. */
export function betBody(event: Event, selection: 'home' | 'draw' | 'away', amount: string, odds?: string) {
  return { eventId: event.id, selection, odds: odds ?? event.odds[selection], amount };
}

export function idempotencyHeaders(key = randomUUID()): Record<string, string> {
  return { 'idempotency-key': key };
}
