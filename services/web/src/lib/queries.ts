import { useQuery } from '@tanstack/react-query';
import { api } from './api';
import { useAuth } from './auth';

/**
 * Query keys. Everything that belongs to the signed-in player starts with 'me', so signing
 * out or switching users drops it all at once.
 */
export const keys = {
  wallet: ['me', 'wallet'] as const,
  bets: ['me', 'bets'] as const,
  transactions: ['me', 'transactions'] as const,
  events: ['events'] as const,
  leaderboard: ['leaderboard'] as const,
};

export function useWallet() {
  const { user } = useAuth();
  return useQuery({ queryKey: keys.wallet, queryFn: () => api.getWallet({}), enabled: user !== null });
}
