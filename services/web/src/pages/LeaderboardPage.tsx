import { useQuery } from '@tanstack/react-query';
import { Alert, Card } from '../components/ui/card';
import { useI18n } from '../i18n';
import { api, errorCode } from '../lib/api';
import { useAuth } from '../lib/auth';
import { describeError } from '../lib/errors';
import { displayMoney } from '../lib/format';
import { keys } from '../lib/queries';
import { cn } from '../lib/utils';

export function LeaderboardPage() {
  const { t, lang } = useI18n();
  const { user } = useAuth();
  const board = useQuery({ queryKey: keys.leaderboard, queryFn: () => api.leaderboard({}) });
  const leaders = board.data?.leaders ?? [];
  return (
    <section className="flex flex-col gap-4" aria-labelledby="lb-title">
      <h1 id="lb-title" className="text-2xl font-bold tracking-tight">
        {t('lb.title')}
      </h1>
      {board.isError ? <Alert>{describeError(lang, errorCode(board.error))}</Alert> : null}
      {board.isPending ? <p className="text-muted-foreground">{t('app.loading')}</p> : null}
      {board.isSuccess && leaders.length === 0 ? <p className="text-muted-foreground">{t('lb.none')}</p> : null}
      {leaders.length > 0 ? (
        <Card className="overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="sr-only">{t('lb.title')}</caption>
            <thead className="border-b text-left text-muted-foreground">
              <tr>
                <th scope="col" className="p-3 font-medium">{t('lb.rank')}</th>
                <th scope="col" className="p-3 font-medium">{t('lb.player')}</th>
                <th scope="col" className="hidden p-3 text-right font-medium sm:table-cell">{t('lb.bets')}</th>
                <th scope="col" className="p-3 text-right font-medium">{t('lb.winRate')}</th>
                <th scope="col" className="p-3 text-right font-medium">{t('lb.profit')}</th>
              </tr>
            </thead>
            <tbody>
              {leaders.map((leader, index) => (
                <tr key={leader.userId} className={cn('border-b last:border-0', leader.userId === user?.id && 'bg-accent text-accent-foreground')}>
                  <td className="p-3">{index + 1}</td>
                  <th scope="row" className="p-3 text-left font-medium">{leader.name}</th>
                  <td className="hidden p-3 text-right sm:table-cell">
                    {leader.wonBets}/{leader.totalBets}
                  </td>
                  <td className="p-3 text-right">{leader.winRate}%</td>
                  <td className={cn('p-3 text-right font-semibold whitespace-nowrap', leader.profit.startsWith('-') ? 'text-destructive' : 'text-success')}>
                    {displayMoney(leader.profit, undefined, lang)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
    </section>
  );
}
