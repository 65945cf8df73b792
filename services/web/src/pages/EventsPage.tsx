import type { Event } from '@ludic/contracts';
import { useQuery } from '@tanstack/react-query';
import { BetSlip } from '../components/BetSlip';
import { eventName, isOpenForBets, selectionLong, selectionShort, selections } from '../components/selection';
import { useSlip } from '../components/slip-context';
import { Alert, Badge, Card } from '../components/ui/card';
import { Button } from '../components/ui/button';
import { useI18n } from '../i18n';
import { api, errorCode } from '../lib/api';
import { describeError } from '../lib/errors';
import { displayDateTime } from '../lib/format';
import { keys } from '../lib/queries';
import { cn } from '../lib/utils';

export function EventsPage() {
  const { t, lang } = useI18n();
  const { pick } = useSlip();
  // Odds move: refetch now and then, and whenever the tab regains focus.
  const events = useQuery({ queryKey: keys.events, queryFn: () => api.listEvents({}), refetchInterval: 30_000 });
  return (
    <div className="flex flex-col gap-6 lg:flex-row lg:items-start">
      <section className="flex min-w-0 flex-1 flex-col gap-3" aria-labelledby="events-title">
        <h1 id="events-title" className="text-2xl font-bold tracking-tight">
          {t('events.title')}
        </h1>
        {events.isPending ? <p className="text-muted-foreground">{t('app.loading')}</p> : null}
        {events.isError ? (
          <Alert>
            {describeError(lang, errorCode(events.error))}{' '}
            <button type="button" className="underline" onClick={() => void events.refetch()}>
              {t('app.retry')}
            </button>
          </Alert>
        ) : null}
        {events.data?.length === 0 ? <p className="text-muted-foreground">{t('events.none')}</p> : null}
        <ul className="flex flex-col gap-3">
          {events.data?.map((event) => (
            <li key={event.id}>
              <EventCard event={event} />
            </li>
          ))}
        </ul>
      </section>
      <aside className="hidden w-80 shrink-0 lg:sticky lg:top-20 lg:block" aria-label={t('slip.title')}>
        <BetSlip />
      </aside>
      {pick ? (
        <div className="fixed inset-x-0 bottom-0 z-20 max-h-[75dvh] overflow-y-auto border-t bg-background p-3 shadow-2xl lg:hidden">
          <BetSlip className="shadow-none" />
        </div>
      ) : null}
    </div>
  );
}

function statusTone(status: Event['status']) {
  if (status === 'live') return 'success' as const;
  if (status === 'cancelled' || status === 'suspended') return 'danger' as const;
  if (status === 'finished') return 'muted' as const;
  return 'default' as const;
}

function EventCard({ event }: { event: Event }) {
  const { t, lang } = useI18n();
  const { pick, choose } = useSlip();
  const open = isOpenForBets(event);
  const name = eventName(event);
  return (
    <Card className="p-4" data-testid="event-card" data-event={name}>
      <div className="flex flex-wrap items-center justify-between gap-2 text-xs text-muted-foreground">
        <span>
          {event.tournament} · {event.round}
        </span>
        <span className="flex items-center gap-2">
          <span>
            <span className="sr-only">{t('events.kickOff')}: </span>
            <time dateTime={event.startsAt}>{displayDateTime(event.startsAt, lang)}</time>
          </span>
          <Badge tone={statusTone(event.status)}>{t(`events.status.${event.status}`)}</Badge>
        </span>
      </div>
      <h2 className="mt-2 text-base font-semibold">
        {event.homeTeam} <span className="text-muted-foreground">—</span> {event.awayTeam}
        {event.score ? (
          <span className="ml-2 text-muted-foreground">
            {event.score.home}:{event.score.away}
          </span>
        ) : null}
      </h2>
      <div className="mt-3 grid grid-cols-3 gap-2" role="group" aria-label={name}>
        {selections.map((selection) => {
          const odds = event.odds[selection];
          const team = selection === 'home' ? event.homeTeam : selection === 'away' ? event.awayTeam : t('events.drawLong');
          const chosen = pick?.event.id === event.id && pick.selection === selection;
          const won = event.result === selection;
          return (
            <Button
              key={selection}
              variant={chosen ? 'default' : 'outline'}
              disabled={!open}
              aria-pressed={chosen}
              aria-label={t('events.pick', { selection: t(selectionLong[selection]), team, odds })}
              data-selection={selection}
              onClick={() => choose({ event, selection, odds })}
              className={cn('h-12 flex-col gap-0', won && 'border-success')}
            >
              <span className={cn('text-xs', chosen ? 'text-primary-foreground/80' : 'text-muted-foreground')}>{t(selectionShort[selection])}</span>
              <span className="font-semibold">{odds}</span>
            </Button>
          );
        })}
      </div>
    </Card>
  );
}
