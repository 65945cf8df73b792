import type { PlaceBetBody } from '@ludic/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { X } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'wouter';
import { useI18n } from '../i18n';
import { api, errorCode, errorDetails, newIdempotencyKey } from '../lib/api';
import { useAuth } from '../lib/auth';
import { describeError } from '../lib/errors';
import { displayMoney } from '../lib/format';
import { keys, useWallet } from '../lib/queries';
import { coversStake, quoteSlip } from '../lib/slip';
import { cn } from '../lib/utils';
import { eventName, selectionLong } from './selection';
import { useSlip } from './slip-context';
import { Button } from './ui/button';
import { Alert, Card, CardContent, CardHeader, CardTitle } from './ui/card';
import { useTopUp } from './TopUp';
import { Input, Label } from './ui/input';
import { useToast } from './ui/toast';

interface Problem {
  code: string;
  details: Record<string, unknown>;
}

export function BetSlip({ className }: { className?: string }) {
  const { t, lang } = useI18n();
  const { user } = useAuth();
  const { pick, setOdds, clear } = useSlip();
  const wallet = useWallet();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [stake, setStake] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [newOdds, setNewOdds] = useState<string | null>(null);
  // One Idempotency-Key per attempt; a retry after a network failure (outcome unknown) sends
  // the same body with the same key, so it can never place the bet twice.
  const attempt = useRef<{ body: string; key: string } | null>(null);
  const stakeId = useId();
  const currency = wallet.data?.currency;
  const { open: openTopUp } = useTopUp();
  const pickId = pick ? `${pick.event.id}:${pick.selection}` : null;
  useEffect(() => {
    setProblem(null);
    setNewOdds(null);
  }, [pickId]);

  const place = useMutation({
    mutationFn: (body: PlaceBetBody) => {
      const serialized = JSON.stringify(body);
      if (attempt.current?.body !== serialized) attempt.current = { body: serialized, key: newIdempotencyKey() };
      return api.placeBet({ body, headers: { 'idempotency-key': attempt.current.key } });
    },
    onSuccess: (bet) => {
      attempt.current = null;
      toast(t('slip.placed', { stake: displayMoney(bet.amount, currency, lang), pick: t(selectionLong[bet.selection]), odds: bet.odds }), 'success');
      clear();
      setStake('');
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
    onError: (error) => {
      const code = errorCode(error);
      // Only a lost answer may be retried with the same key; any real answer ends the attempt.
      if (code !== 'NETWORK') attempt.current = null;
      const details = errorDetails(error);
      if (code === 'ODDS_CHANGED' && pick) {
        const current = (details.odds as Record<string, string> | undefined)?.[pick.selection];
        if (current) {
          setNewOdds(current);
          setProblem(null);
          return;
        }
      }
      setProblem({ code, details });
    },
  });

  if (!pick) {
    return (
      <Card className={className} aria-labelledby="slip-title">
        <CardHeader>
          <CardTitle id="slip-title">{t('slip.title')}</CardTitle>
        </CardHeader>
        <CardContent>
          <p className="text-sm text-muted-foreground">{t('slip.empty')}</p>
        </CardContent>
      </Card>
    );
  }

  const quote = quoteSlip(stake, pick.odds);
  const pickLabel = t(selectionLong[pick.selection]);
  const overBalance = quote.kind === 'ok' && !coversStake(wallet.data?.balance, quote.stake);
  const submit = () => {
    if (quote.kind !== 'ok') {
      setProblem({ code: 'STAKE_INVALID', details: {} });
      return;
    }
    setProblem(null);
    place.mutate({ eventId: pick.event.id, selection: pick.selection, odds: pick.odds, amount: quote.stake });
  };

  return (
    <Card className={className} aria-labelledby="slip-title" data-testid="bet-slip">
      <CardHeader className="flex-row items-start justify-between gap-2">
        <div className="flex flex-col gap-1">
          <CardTitle id="slip-title">{t('slip.title')}</CardTitle>
          <p className="text-sm text-muted-foreground">{eventName(pick.event)}</p>
        </div>
        <Button variant="ghost" size="icon" onClick={clear} aria-label={t('slip.remove')}>
          <X className="h-4 w-4" aria-hidden />
        </Button>
      </CardHeader>
      <CardContent>
        <form
          className="flex flex-col gap-3"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <div className="flex items-center justify-between text-sm">
            <span>{pickLabel}</span>
            <span>
              <span className="sr-only">{t('slip.odds')}: </span>
              <strong data-testid="slip-odds">{pick.odds}</strong>
            </span>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={stakeId}>{t('slip.stake')}{currency ? ` (${currency})` : ''}</Label>
            <Input
              id={stakeId}
              name="stake"
              inputMode="decimal"
              autoComplete="off"
              value={stake}
              onChange={(event) => {
                setStake(event.target.value);
                setProblem(null);
              }}
              aria-invalid={quote.kind === 'invalid'}
              aria-describedby={`${stakeId}-hint`}
            />
            <p id={`${stakeId}-hint`} className={cn('text-sm', quote.kind === 'invalid' || overBalance ? 'text-destructive' : 'text-muted-foreground')}>
              {quote.kind === 'invalid'
                ? t('slip.stakeInvalid')
                : overBalance && wallet.data
                  ? t('slip.overBalance', { balance: displayMoney(wallet.data.balance, currency, lang) })
                  : ''}
            </p>
          </div>
          <div className="flex items-center justify-between rounded-md bg-muted px-3 py-2 text-sm">
            <span>{t('slip.potentialWin')}</span>
            <strong data-testid="slip-win" aria-live="polite">
              {quote.kind === 'ok' ? displayMoney(quote.potentialWin, currency, lang) : '—'}
            </strong>
          </div>
          {newOdds ? (
            <Alert tone="info" data-testid="odds-changed">
              <p className="font-semibold">{t('slip.oddsChangedTitle')}</p>
              <p>{t('slip.oddsChanged', { pick: pickLabel, old: pick.odds, new: newOdds })}</p>
              <div className="mt-2 flex flex-wrap gap-2">
                <Button
                  type="button"
                  size="sm"
                  onClick={() => {
                    setOdds(newOdds);
                    setNewOdds(null);
                  }}
                >
                  {t('slip.acceptOdds')}
                </Button>
                <Button type="button" size="sm" variant="outline" onClick={clear}>
                  {t('app.cancel')}
                </Button>
              </div>
            </Alert>
          ) : null}
          {problem ? (
            <Alert data-testid="slip-error">
              {problem.code === 'STAKE_INVALID' ? t('slip.stakeInvalid') : describeError(lang, problem.code, problem.details)}
              {problem.code === 'INSUFFICIENT_FUNDS' ? (
                <>
                  {' '}
                  <button type="button" onClick={openTopUp} className="font-semibold underline">
                    {t('header.topUp')}
                  </button>
                </>
              ) : null}
            </Alert>
          ) : null}
          {user ? (
            <Button type="submit" disabled={place.isPending || newOdds !== null}>
              {place.isPending ? t('slip.placing') : problem?.code === 'NETWORK' ? t('slip.retry') : t('slip.place')}
            </Button>
          ) : (
            <Button asChild variant="secondary">
              <Link href="/login">{t('auth.signInToBet')}</Link>
            </Button>
          )}
        </form>
      </CardContent>
    </Card>
  );
}
