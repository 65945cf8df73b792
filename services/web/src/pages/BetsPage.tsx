import type { Bet, BetStatus } from '@ludic/contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { selectionLong } from '../components/selection';
import { Button } from '../components/ui/button';
import { Alert, Badge, Card } from '../components/ui/card';
import { useI18n } from '../i18n';
import { api, errorCode } from '../lib/api';
import { describeError } from '../lib/errors';
import { displayDateTime, displayMoney } from '../lib/format';
import { keys, useWallet } from '../lib/queries';
import { cn } from '../lib/utils';

export const PAGE_SIZE = 20;

const filters: (BetStatus | 'all')[] = ['all', 'pending', 'won', 'lost', 'void'];

function statusTone(status: BetStatus) {
  return status === 'won' ? ('success' as const) : status === 'lost' ? ('danger' as const) : status === 'void' ? ('muted' as const) : ('default' as const);
}

export function BetsPage() {
  const { t, lang } = useI18n();
  const [filter, setFilter] = useState<BetStatus | 'all'>('all');
  const currency = useWallet().data?.currency;
  // Paging by `before` = the id of the last bet seen (newest first), as the API pages.
  const bets = useInfiniteQuery({
    queryKey: [...keys.bets, filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api.listBets({ query: { limit: PAGE_SIZE, ...(filter === 'all' ? {} : { status: filter }), ...(pageParam ? { before: pageParam } : {}) } }),
    getNextPageParam: (last: Bet[]) => (last.length === PAGE_SIZE ? last[last.length - 1]?.id : undefined),
  });
  const rows = bets.data?.pages.flat() ?? [];
  return (
    <section className="flex flex-col gap-4" aria-labelledby="bets-title">
      <h1 id="bets-title" className="text-2xl font-bold tracking-tight">
        {t('bets.title')}
      </h1>
      <div role="radiogroup" aria-label={t('bets.filter')} className="flex flex-wrap gap-2">
        {filters.map((value) => (
          <Button
            key={value}
            role="radio"
            aria-checked={filter === value}
            size="sm"
            variant={filter === value ? 'default' : 'outline'}
            onClick={() => setFilter(value)}
          >
            {t(`bets.filter.${value}`)}
          </Button>
        ))}
      </div>
      {bets.isError ? <Alert>{describeError(lang, errorCode(bets.error))}</Alert> : null}
      {bets.isPending ? <p className="text-muted-foreground">{t('app.loading')}</p> : null}
      {bets.isSuccess && rows.length === 0 ? <p className="text-muted-foreground">{t('bets.none')}</p> : null}
      <ul className="flex flex-col gap-2" data-testid="bet-list">
        {rows.map((bet) => (
          <li key={bet.id}>
            <Card className="grid grid-cols-2 gap-x-4 gap-y-1 p-4 text-sm sm:grid-cols-[2fr_1fr_1fr_1fr_auto]" data-testid="bet-row" data-status={bet.status}>
              <div className="col-span-2 sm:col-span-1">
                <p className="font-semibold">{bet.eventName}</p>
                <p className="text-muted-foreground">
                  {t(selectionLong[bet.selection])} · <time dateTime={bet.createdAt}>{displayDateTime(bet.createdAt, lang)}</time>
                </p>
              </div>
              <p>
                <span className="text-muted-foreground">{t('bets.stake')}: </span>
                {displayMoney(bet.amount, currency, lang)}
              </p>
              <p>
                <span className="text-muted-foreground">{t('bets.odds')}: </span>
                {bet.odds}
              </p>
              <p className={cn(bet.status === 'won' && 'font-semibold text-success')}>
                <span className="text-muted-foreground">{t('bets.win')}: </span>
                {displayMoney(bet.potentialWin, currency, lang)}
              </p>
              <p>
                <Badge tone={statusTone(bet.status)}>{t(`bets.filter.${bet.status}`)}</Badge>
              </p>
            </Card>
          </li>
        ))}
      </ul>
      {bets.hasNextPage ? (
        <Button variant="outline" onClick={() => void bets.fetchNextPage()} disabled={bets.isFetchingNextPage}>
          {t('app.loadMore')}
        </Button>
      ) : null}
    </section>
  );
}
