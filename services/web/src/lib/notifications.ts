import type { Bet } from '@ludic/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n';
import { useToast } from '../components/ui/toast';
import { useAuth } from './auth';
import { displayMoney } from './format';
import { keys } from './queries';
import { session } from './session';
import { createSseParser } from './sse';

const MAX_BACKOFF_MS = 30_000;

/**
 * Keeps `GET /api/bets/stream` open while a player is signed in. EventSource cannot send the
 * Authorization header, so the stream is read with fetch. `wallet.updated` sets the balance
 * in place; `bet.settled` shows a toast and refreshes the lists it changes. After a dropped
 * connection it reconnects with backoff and refetches, so nothing missed stays stale.
 */
export function useNotifications(): void {
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const { t, lang } = useI18n();
  const { toast } = useToast();
  // Handlers read the latest language without reconnecting the stream when it changes.
  const latest = useRef({ t, lang, toast });
  latest.current = { t, lang, toast };

  useEffect(() => {
    if (!user) return;
    const controller = new AbortController();
    let attempt = 0;

    const onBetSettled = (bet: Bet) => {
      const { t, lang, toast } = latest.current;
      const currency = queryClient.getQueryData<{ currency: string }>(keys.wallet)?.currency;
      const event = bet.eventName;
      if (bet.status === 'won') toast(t('bets.settledWon', { amount: displayMoney(bet.potentialWin, currency, lang), event }), 'success');
      else if (bet.status === 'void') toast(t('bets.settledVoid', { amount: displayMoney(bet.amount, currency, lang), event }), 'info');
      else toast(t('bets.settledLost', { event }), 'info');
      void queryClient.invalidateQueries({ queryKey: keys.bets });
      void queryClient.invalidateQueries({ queryKey: keys.transactions });
      void queryClient.invalidateQueries({ queryKey: keys.leaderboard });
    };

    const onWalletUpdated = (data: { balance: string }) => {
      queryClient.setQueryData(keys.wallet, (wallet: { balance: string } | undefined) => (wallet ? { ...wallet, balance: data.balance } : wallet));
      void queryClient.invalidateQueries({ queryKey: keys.transactions });
    };

    const connect = async (): Promise<void> => {
      const token = await session.accessToken();
      if (!token || controller.signal.aborted) return;
      const response = await fetch('/api/bets/stream', {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (response.status === 401) {
        await session.refreshAfterRejection();
        throw new Error('stream refused the token');
      }
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      attempt = 0;
      // Whatever happened while we were not listening is fetched once now.
      void queryClient.invalidateQueries({ queryKey: ['me'] });
      const parse = createSseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const message of parse(value)) {
          if (message.event === 'bet.settled') onBetSettled(JSON.parse(message.data) as Bet);
          else if (message.event === 'wallet.updated') onWalletUpdated(JSON.parse(message.data) as { balance: string });
        }
      }
    };

    const run = async () => {
      while (!controller.signal.aborted) {
        await connect().catch(() => undefined);
        if (controller.signal.aborted || !session.isSignedIn()) return;
        const delay = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** attempt++);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    };
    void run();
    return () => controller.abort();
  }, [user, queryClient]);
}
