import type { Transaction } from '@ludic/contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Button } from '../components/ui/button';
import { Alert, Card } from '../components/ui/card';
import { useI18n } from '../i18n';
import { api, errorCode } from '../lib/api';
import { describeError } from '../lib/errors';
import { displayDateTime, displayMoney } from '../lib/format';
import { keys, useWallet } from '../lib/queries';
import { cn } from '../lib/utils';
import { PAGE_SIZE } from './BetsPage';

export function TransactionsPage() {
  const { t, lang } = useI18n();
  const currency = useWallet().data?.currency;
  const transactions = useInfiniteQuery({
    queryKey: keys.transactions,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => api.listTransactions({ query: { limit: PAGE_SIZE, ...(pageParam ? { before: pageParam } : {}) } }),
    getNextPageParam: (last: Transaction[]) => (last.length === PAGE_SIZE ? last[last.length - 1]?.id : undefined),
  });
  const rows = transactions.data?.pages.flat() ?? [];
  return (
    <section className="flex flex-col gap-4" aria-labelledby="tx-title">
      <h1 id="tx-title" className="text-2xl font-bold tracking-tight">
        {t('tx.title')}
      </h1>
      {transactions.isError ? <Alert>{describeError(lang, errorCode(transactions.error))}</Alert> : null}
      {transactions.isPending ? <p className="text-muted-foreground">{t('app.loading')}</p> : null}
      <Card className="overflow-x-auto">
        <table className="w-full text-sm">
          <caption className="sr-only">{t('tx.title')}</caption>
          <thead className="border-b text-left text-muted-foreground">
            <tr>
              <th scope="col" className="p-3 font-medium">{t('tx.date')}</th>
              <th scope="col" className="p-3 font-medium">{t('tx.type')}</th>
              <th scope="col" className="p-3 text-right font-medium">{t('tx.amount')}</th>
              <th scope="col" className="hidden p-3 text-right font-medium sm:table-cell">{t('tx.balanceAfter')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} className="border-b last:border-0" data-testid="tx-row">
                <td className="p-3 whitespace-nowrap">
                  <time dateTime={row.createdAt}>{displayDateTime(row.createdAt, lang)}</time>
                </td>
                <td className="p-3">{t(`tx.type.${row.type}`)}</td>
                <td className={cn('p-3 text-right whitespace-nowrap font-medium', row.amount.startsWith('-') ? 'text-destructive' : 'text-success')}>
                  {displayMoney(row.amount, currency, lang)}
                </td>
                <td className="hidden p-3 text-right whitespace-nowrap sm:table-cell">{displayMoney(row.balanceAfter, currency, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      {transactions.hasNextPage ? (
        <Button variant="outline" onClick={() => void transactions.fetchNextPage()} disabled={transactions.isFetchingNextPage}>
          {t('app.loadMore')}
        </Button>
      ) : null}
    </section>
  );
}
