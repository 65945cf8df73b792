import { callRoute, publicRoutes, type Session, type User } from '@ludic/contracts';
import { fetchTransport } from './transport';

/**
 * The signed-in session. The access token lives only in memory (a script injected into the
 * page could read storage, and an access token is a bearer credential for 15 minutes). The
 * refresh token must survive a reload, so it is kept in localStorage: acceptable for this
 * demo because it is single-use (every refresh rotates it and a reused one revokes the whole
 * session) and the CSP allows scripts from our own origin only. A real-money deployment would
 * move it into an HttpOnly, SameSite=Strict cookie set by the gateway.
 *
 * Several tabs share the stored refresh token: refreshes are serialised with a Web Lock and
 * the new access token is handed to the other tabs over a BroadcastChannel, so two tabs never
 * spend the same refresh token (which the gateway would treat as theft).
 */
const REFRESH_KEY = 'ludic.refreshToken';
/** Refresh this long before the access token expires. */
const REFRESH_AHEAD_MS = 60_000;

interface State {
  token: string;
  expiresAt: number;
  user: User;
}

type Listener = (user: User | null) => void;

interface TabMessage {
  kind: 'session' | 'signed-out';
  token?: string;
  expiresAt?: number;
  user?: User;
}

function readStoredRefresh(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

function writeStoredRefresh(value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(REFRESH_KEY);
    else localStorage.setItem(REFRESH_KEY, value);
  } catch {
    // Storage disabled (private mode): the session then lasts as long as the tab.
  }
}

async function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  if (typeof navigator !== 'undefined' && navigator.locks) return navigator.locks.request('ludic.refresh', fn);
  return fn();
}

class SessionStore {
  private state: State | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<string | null> | null = null;
  private listeners = new Set<Listener>();
  private channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('ludic.session');

  constructor() {
    this.channel?.addEventListener('message', (message: MessageEvent<TabMessage>) => {
      const data = message.data;
      if (data.kind === 'signed-out') this.clear(false);
      else if (data.token && data.expiresAt && data.user) this.set({ token: data.token, expiresAt: data.expiresAt, user: data.user }, false);
    });
  }

  user(): User | null {
    return this.state?.user ?? null;
  }

  isSignedIn(): boolean {
    return this.state !== null;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a session from a login/register/refresh answer. */
  start(answer: Session): void {
    writeStoredRefresh(answer.refreshToken);
    this.set({ token: answer.token, expiresAt: Date.now() + answer.expiresIn * 1000, user: answer.user }, true);
  }

  /** On page load: trade the stored refresh token for a session, if there is one. */
  async resume(): Promise<User | null> {
    if (!readStoredRefresh()) return null;
    await this.refresh();
    return this.user();
  }

  /** A usable access token, refreshed first when it is (nearly) expired; null when signed out. */
  async accessToken(): Promise<string | null> {
    if (!this.state) return null;
    if (this.state.expiresAt - Date.now() > 5_000) return this.state.token;
    return this.refresh();
  }

  /** A service answered 401 to our token: it may have been revoked or expired early. */
  async refreshAfterRejection(): Promise<string | null> {
    return this.refresh(true);
  }

  async logout(): Promise<void> {
    const token = this.state?.token;
    this.clear(true);
    if (!token) return;
    // Best effort: the local session is gone either way; the gateway revokes it everywhere.
    await callRoute(fetchTransport, publicRoutes.logout, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  }

  private refresh(force = false): Promise<string | null> {
    this.inFlight ??= withRefreshLock(async () => {
      // Another tab may have refreshed while we waited for the lock and sent us its token.
      if (!force && this.state && this.state.expiresAt - Date.now() > REFRESH_AHEAD_MS) return this.state.token;
      const stored = readStoredRefresh();
      if (!stored) {
        this.clear(false);
        return null;
      }
      try {
        const answer = await callRoute(fetchTransport, publicRoutes.refresh, { body: { refreshToken: stored } });
        this.start(answer);
        return answer.token;
      } catch (error) {
        // A spent or revoked refresh token ends the session; a network error keeps it for a retry.
        const code = (error as { code?: string }).code;
        if (code === 'REFRESH_TOKEN_INVALID' || code === 'UNAUTHORIZED' || code === 'VALIDATION_ERROR') this.clear(true);
        return null;
      }
    }).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private set(state: State, broadcast: boolean): void {
    const changedUser = this.state?.user.id !== state.user.id;
    this.state = state;
    clearTimeout(this.refreshTimer);
    const delay = Math.max(5_000, state.expiresAt - Date.now() - REFRESH_AHEAD_MS);
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
    if (broadcast) this.channel?.postMessage({ kind: 'session', ...state } satisfies TabMessage);
    if (changedUser) this.notify();
  }

  private clear(broadcast: boolean): void {
    clearTimeout(this.refreshTimer);
    const had = this.state !== null;
    this.state = null;
    if (broadcast) {
      writeStoredRefresh(null);
      this.channel?.postMessage({ kind: 'signed-out' } satisfies TabMessage);
    }
    if (had) this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.user());
  }
}

export const session = new SessionStore();
