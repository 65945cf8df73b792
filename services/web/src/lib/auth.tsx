import type { LoginBody, RegisterBody, User } from '@ludic/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from './api';
import { session } from './session';

interface Auth {
  user: User | null;
  /** False until the stored session has been resumed (or found absent) on page load. */
  ready: boolean;
  login(body: LoginBody): Promise<void>;
  register(body: RegisterBody): Promise<void>;
  logout(): Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(session.user());
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const unsubscribe = session.subscribe((next) => {
      // Another user (or nobody) now: nothing cached for the previous one may show.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] === 'me' });
      setUser(next);
    });
    void session.resume().finally(() => setReady(true));
    return unsubscribe;
  }, [queryClient]);
  const value = useMemo<Auth>(
    () => ({
      user,
      ready,
      login: async (body) => session.start(await api.login({ body })),
      register: async (body) => session.start(await api.register({ body })),
      logout: () => session.logout(),
    }),
    [user, ready],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const context = useContext(AuthContext);
  if (!context) throw new Error('useAuth outside AuthProvider');
  return context;
}
