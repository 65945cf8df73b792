import { setTimeout as sleep } from 'node:timers/promises';
import { NetworkError, type Answer, type ChaosClient, type RequestKind } from './client.js';
import type { Random } from './prng.js';

/**
 * The mixed load of a chaos run: virtual users who register, log in, deposit, bet and read,
 * and one admin who opens events and settles them while bets arrive. POSTs that move money
 * carry an Idempotency-Key and are retried with the same key on a 5xx, no answer, 429 or
 * 409 IDEMPOTENCY_IN_PROGRESS, as a careful client does; every key's fate is recorded for the
 * exactly-once checks afterwards.
 */

/** How long a client keeps retrying one request before it gives up ("unfinished"). */
const CLIENT_RETRY_DEADLINE_MS = 30_000;
const MAX_ATTEMPTS = 200;
/** Open events the admin keeps on the board. */
const OPEN_EVENTS = 3;

export interface Player {
  userId: string;
  email: string;
  password: string;
  token: string;
}

export interface KeyRecord {
  key: string;
  kind: 'bet' | 'deposit';
  userId: string;
  amount: string;
  /** The bet id or deposit transaction id of every 2xx answer the client got for this key. */
  ackedIds: string[];
  /** applied: a 2xx came; rejected: a definite 4xx; unfinished: no definite answer before the client gave up. */
  outcome: 'applied' | 'rejected' | 'unfinished';
  /** The code of the definite 4xx of a rejected key. */
  rejectedWith?: string;
}

export interface OpenEvent {
  id: string;
  odds: { home: string; draw: string; away: string };
  openedAt: number;
}

/** What happened to one admin-created event. */
export interface AdminEvent {
  id: string;
  settled: boolean;
}

export interface LoadState {
  client: ChaosClient;
  keys: KeyRecord[];
  players: Player[];
  /** Keys of registrations/logins that never got an answer within the retry deadline. */
  unfinishedAccountRequests: number;
  events: AdminEvent[];
  open: OpenEvent[];
  serial: number;
}

export function createLoadState(client: ChaosClient): LoadState {
  return { client, keys: [], players: [], unfinishedAccountRequests: 0, events: [], open: [], serial: 0 };
}

const isRetryable = (answer: Answer) => answer.status >= 500 || answer.status === 429 || answer.code === 'IDEMPOTENCY_IN_PROGRESS';

/** Backoff between retries: 100 ms doubling to 1 s. */
const backoff = (attempt: number) => sleep(Math.min(1000, 100 * 2 ** attempt));

/**
 * Sends until an answer that is not "try again" arrives, or the retry deadline passes.
 * Returns that answer, or undefined when the client gave up.
 */
async function untilDefinite(send: () => Promise<Answer>): Promise<Answer | undefined> {
  const deadline = Date.now() + CLIENT_RETRY_DEADLINE_MS;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && Date.now() < deadline; attempt += 1) {
    try {
      const answer = await send();
      if (!isRetryable(answer)) return answer;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
    await backoff(attempt);
  }
  return undefined;
}

/**
 * A money-moving POST with its Idempotency-Key, retried with the same key; its fate recorded.
 * With `replayAfterSuccess` the client sends the key once more after its 2xx, as a client
 * that lost track does: the replay must name the same effect (checked afterwards).
 */
async function postWithKey(
  state: LoadState,
  kind: 'bet' | 'deposit',
  player: Player,
  body: Record<string, string>,
  key: string,
  replayAfterSuccess: boolean,
): Promise<KeyRecord> {
  const record: KeyRecord = { key, kind, userId: player.userId, amount: body.amount as string, ackedIds: [], outcome: 'unfinished' };
  state.keys.push(record);
  const path = kind === 'bet' ? '/api/bets' : '/api/wallet/deposit';
  const idOf = (answer: Answer) => String(kind === 'bet' ? answer.body.id : answer.body.transaction?.id);
  const answersWanted = replayAfterSuccess ? 2 : 1;
  const deadline = Date.now() + CLIENT_RETRY_DEADLINE_MS;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && Date.now() < deadline; attempt += 1) {
    try {
      const answer = await state.client.call(kind, 'POST', path, { token: player.token, body, key });
      if (answer.status >= 200 && answer.status < 300) {
        record.ackedIds.push(idOf(answer));
        record.outcome = 'applied';
        if (record.ackedIds.length >= answersWanted) return record;
        continue;
      }
      if (!isRetryable(answer)) {
        // After a 2xx, any definite refusal of the same key is a broken promise: recorded.
        record.rejectedWith = `${answer.status} ${answer.code}`;
        if (record.outcome !== 'applied') record.outcome = 'rejected';
        return record;
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
    await backoff(attempt);
  }
  return record;
}

async function register(state: LoadState, email: string, password: string): Promise<Player | undefined> {
  let attempts = 0;
  const answer = await untilDefinite(() => {
    attempts += 1;
    return state.client.call('register', 'POST', '/api/auth/register', { body: { email, password, name: email.split('@')[0] } });
  });
  if (answer?.status === 201) return { userId: String(answer.body.user.id), email, password, token: String(answer.body.token) };
  // A registration whose answer was lost may have happened: then the email is taken by us.
  if (answer?.code === 'EMAIL_TAKEN' && attempts > 1) return login(state, { userId: '', email, password, token: '' });
  if (!answer) state.unfinishedAccountRequests += 1;
  return undefined;
}

async function login(state: LoadState, player: Player): Promise<Player | undefined> {
  const answer = await untilDefinite(() => state.client.call('login', 'POST', '/api/auth/login', { body: { email: player.email, password: player.password } }));
  if (answer?.status === 200) return { ...player, userId: String(answer.body.user.id), token: String(answer.body.token) };
  if (!answer) state.unfinishedAccountRequests += 1;
  return undefined;
}

const money = (units: number) => `${units}.00`;

/** One virtual user until `endsAt`: a new player, then a random mix of actions. */
export async function runVirtualUser(state: LoadState, random: Random, tag: string, endsAt: number): Promise<void> {
  let player: Player | undefined;
  const newPlayer = async () => {
    const n = ++state.serial;
    const registered = await register(state, `chaos-${tag}-${n}@ludic.chaos`, `chaos-password-${n}`);
    if (registered) state.players.push(registered);
    return registered;
  };
  // Bounded by time and by count, so the loop ends even if every request fails at once.
  for (let step = 0; step < 100_000 && Date.now() < endsAt; step += 1) {
    if (!player) {
      player = await newPlayer();
      if (!player) await sleep(200);
      continue;
    }
    const roll = random.next();
    const n = ++state.serial;
    const key = `chaos-${tag}-${n}`;
    // 40 % bets (deposits while no event is open), 25 % deposits, 25 % reads, 5 % logins, 5 % new players.
    if (roll < 0.4 && state.open.length > 0) {
      const event = random.pick(state.open);
      const selection = random.pick(['home', 'draw', 'away'] as const);
      await postWithKey(state, 'bet', player, { eventId: event.id, selection, odds: event.odds[selection], amount: money(random.int(1, 5)) }, key, random.next() < 0.1);
    } else if (roll < 0.65) {
      await postWithKey(state, 'deposit', player, { amount: money(random.int(10, 50)) }, key, random.next() < 0.1);
    } else if (roll < 0.9) {
      const [kind, path] = random.pick([
        ['get wallet', '/api/wallet'],
        ['get bets', '/api/bets'],
        ['get events', '/api/events'],
      ] as const satisfies readonly (readonly [RequestKind, string])[]);
      await state.client.call(kind, 'GET', path, { token: player.token }).catch((error: unknown) => {
        if (!(error instanceof NetworkError)) throw error;
      });
    } else if (roll < 0.95) {
      player = (await login(state, player)) ?? player;
    } else {
      player = (await newPlayer()) ?? player;
    }
    await sleep(random.int(10, 60));
  }
}

/** The admin: keeps OPEN_EVENTS events open, closes and settles each after `eventLifetimeMs`. */
export async function runAdmin(state: LoadState, random: Random, adminToken: string, endsAt: number, eventLifetimeMs: number): Promise<void> {
  for (let step = 0; step < 10_000 && Date.now() < endsAt; step += 1) {
    if (state.open.length < OPEN_EVENTS) await openEvent(state, random, adminToken);
    const due = state.open.filter((event) => Date.now() - event.openedAt >= eventLifetimeMs);
    for (const event of due) await settleEvent(state, random, adminToken, event.id);
    await sleep(random.int(300, 700));
  }
}

async function openEvent(state: LoadState, random: Random, adminToken: string): Promise<void> {
  const n = ++state.serial;
  const odds = { home: `${random.int(12, 40) / 10}`, draw: `${random.int(25, 45) / 10}`, away: `${random.int(15, 60) / 10}` };
  const normalized = Object.fromEntries(Object.entries(odds).map(([k, v]) => [k, Number(v).toFixed(2)])) as OpenEvent['odds'];
  const body = { tournament: 'Chaos Cup', round: `Round ${n}`, homeTeam: `Home ${n}`, awayTeam: `Away ${n}`, startsAt: new Date(Date.now() + 24 * 3600_000).toISOString(), odds: normalized };
  const answer = await untilDefinite(() => state.client.call('admin create event', 'POST', '/api/admin/events', { token: adminToken, body }));
  // A create whose answer was lost leaves an event nobody is told about: it takes no bets.
  if (answer?.status !== 201) return;
  const created = answer.body as { id: string; odds: OpenEvent['odds'] };
  state.events.push({ id: created.id, settled: false });
  state.open.push({ id: created.id, odds: created.odds, openedAt: Date.now() });
}

/** Closes the event for bets (live), then settles it with a random result; both retried. */
export async function settleEvent(state: LoadState, random: Random, adminToken: string, eventId: string): Promise<void> {
  state.open = state.open.filter((event) => event.id !== eventId);
  const record = state.events.find((event) => event.id === eventId);
  if (!record || record.settled) return;
  const closed = await untilDefinite(() => state.client.call('admin close event', 'PATCH', `/api/admin/events/${eventId}`, { token: adminToken, body: { status: 'live' } }));
  if (closed?.status !== 200) return;
  const result = random.pick(['home', 'draw', 'away'] as const);
  let attempts = 0;
  const settled = await untilDefinite(() => {
    attempts += 1;
    return state.client.call('admin settle event', 'POST', `/api/admin/events/${eventId}/settle`, { token: adminToken, body: { result } });
  });
  // EVENT_ALREADY_SETTLED after an attempt without a definite answer: that attempt settled it.
  if (settled?.status === 200 || (settled?.code === 'EVENT_ALREADY_SETTLED' && attempts > 1)) record.settled = true;
}

/** Registers the admin (its email is in ADMIN_EMAILS) before any fault. */
export async function registerAdmin(state: LoadState, email: string): Promise<Player> {
  const admin = await register(state, email, 'chaos-admin-password');
  if (!admin) throw new Error('the admin could not register');
  return admin;
}
