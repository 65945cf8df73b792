import { formatOdds, parseOdds, type Event, type MarketOdds, type Selection } from '@ludic/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useForm, type UseFormRegisterReturn } from 'react-hook-form';
import { eventName, selectionLong, selections } from '../components/selection';
import { Button } from '../components/ui/button';
import { Alert, Badge, Card, CardContent, CardHeader, CardTitle } from '../components/ui/card';
import { ConfirmDialog } from '../components/ui/dialog';
import { FieldError, Input, Label, Select } from '../components/ui/input';
import { useToast } from '../components/ui/toast';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { api, errorCode, errorDetails } from '../lib/api';
import { useAuth } from '../lib/auth';
import { describeError } from '../lib/errors';
import { displayDateTime } from '../lib/format';
import { keys } from '../lib/queries';

/** Odds as the API takes them ("2.5" → "2.50"); null when outside 1.01–1000.00. */
function normaliseOdds(value: string): string | null {
  const hundredths = parseOdds(value.trim().replace(',', '.'));
  return hundredths === null ? null : formatOdds(hundredths);
}

/** `<input type="datetime-local">` speaks local wall-clock time without a zone; the API wants an instant. */
function localInputValue(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function AdminField({ label, registration, error, type = 'text', inputMode }: {
  label: string;
  registration: UseFormRegisterReturn;
  error: string | undefined;
  type?: string;
  inputMode?: 'decimal' | 'numeric';
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      <Input id={id} type={type} inputMode={inputMode} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} {...registration} />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

function useAdminMutation<T>(fn: (input: T) => Promise<unknown>, success: (result: never) => string) {
  const { lang } = useI18n();
  const { toast } = useToast();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (result) => {
      toast(success(result as never), 'success');
      void queryClient.invalidateQueries({ queryKey: keys.events });
    },
    onError: (error) => toast(describeError(lang, errorCode(error), errorDetails(error)), 'error'),
  });
}

interface CreateForm {
  tournament: string;
  round: string;
  homeTeam: string;
  awayTeam: string;
  startsAt: string;
  home: string;
  draw: string;
  away: string;
}

function CreateEventCard() {
  const { t } = useI18n();
  const form = useForm<CreateForm>({
    defaultValues: {
      tournament: '',
      round: '',
      homeTeam: '',
      awayTeam: '',
      startsAt: localInputValue(new Date(Date.now() + 2 * 3600_000)),
      home: '2.00',
      draw: '3.20',
      away: '3.50',
    },
  });
  const create = useAdminMutation(
    (values: CreateForm) =>
      api.createEvent({
        body: {
          tournament: values.tournament.trim(),
          round: values.round.trim(),
          homeTeam: values.homeTeam.trim(),
          awayTeam: values.awayTeam.trim(),
          startsAt: new Date(values.startsAt).toISOString(),
          odds: { home: normaliseOdds(values.home) ?? '', draw: normaliseOdds(values.draw) ?? '', away: normaliseOdds(values.away) ?? '' },
        },
      }),
    (event: Event) => t('admin.created', { event: eventName(event) }),
  );
  const errors = form.formState.errors;
  const required = { validate: (value: string) => value.trim().length > 0 || t('admin.required') };
  const odds = { validate: (value: string) => normaliseOdds(value) !== null || t('admin.oddsInvalid') };
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('admin.create')}</CardTitle>
      </CardHeader>
      <CardContent>
        <form
          noValidate
          data-testid="create-event-form"
          className="grid gap-3 sm:grid-cols-2"
          onSubmit={form.handleSubmit((values) =>
            create.mutate(values, { onSuccess: () => form.reset({ ...values, homeTeam: '', awayTeam: '' }) }),
          )}
        >
          <AdminField label={t('admin.tournament')} registration={form.register('tournament', required)} error={errors.tournament?.message} />
          <AdminField label={t('admin.round')} registration={form.register('round', required)} error={errors.round?.message} />
          <AdminField label={t('admin.homeTeam')} registration={form.register('homeTeam', required)} error={errors.homeTeam?.message} />
          <AdminField label={t('admin.awayTeam')} registration={form.register('awayTeam', required)} error={errors.awayTeam?.message} />
          <AdminField
            label={t('admin.startsAt')}
            type="datetime-local"
            registration={form.register('startsAt', { validate: (value) => !Number.isNaN(Date.parse(value)) || t('admin.startsAtInvalid') })}
            error={errors.startsAt?.message}
          />
          <div className="grid grid-cols-3 gap-2 sm:col-span-2">
            <AdminField label={t('admin.oddsHome')} inputMode="decimal" registration={form.register('home', odds)} error={errors.home?.message} />
            <AdminField label={t('admin.oddsDraw')} inputMode="decimal" registration={form.register('draw', odds)} error={errors.draw?.message} />
            <AdminField label={t('admin.oddsAway')} inputMode="decimal" registration={form.register('away', odds)} error={errors.away?.message} />
          </div>
          <Button type="submit" className="sm:col-span-2" disabled={create.isPending}>
            {t('admin.create')}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}

function OddsForm({ event }: { event: Event }) {
  const { t } = useI18n();
  const form = useForm<MarketOdds>({ values: event.odds });
  const save = useAdminMutation(
    (odds: MarketOdds) =>
      api.updateEvent({
        params: { id: event.id },
        body: { odds: { home: normaliseOdds(odds.home) ?? '', draw: normaliseOdds(odds.draw) ?? '', away: normaliseOdds(odds.away) ?? '' } },
      }),
    (updated: Event) => t('admin.oddsSaved', { event: eventName(updated) }),
  );
  const rule = { validate: (value: string) => normaliseOdds(value) !== null || t('admin.oddsInvalid') };
  const errors = form.formState.errors;
  return (
    <form noValidate className="flex flex-wrap items-end gap-2" data-testid="odds-form" onSubmit={form.handleSubmit((odds) => save.mutate(odds))}>
      <div className="grid flex-1 grid-cols-3 gap-2">
        <AdminField label={t('admin.oddsHome')} inputMode="decimal" registration={form.register('home', rule)} error={errors.home?.message} />
        <AdminField label={t('admin.oddsDraw')} inputMode="decimal" registration={form.register('draw', rule)} error={errors.draw?.message} />
        <AdminField label={t('admin.oddsAway')} inputMode="decimal" registration={form.register('away', rule)} error={errors.away?.message} />
      </div>
      <Button type="submit" variant="secondary" disabled={save.isPending}>
        {t('admin.saveOdds')}
      </Button>
    </form>
  );
}

const statusActions: Record<Event['status'], { to: 'upcoming' | 'live' | 'suspended'; label: MessageKey }[]> = {
  upcoming: [
    { to: 'live', label: 'admin.goLive' },
    { to: 'suspended', label: 'admin.suspend' },
  ],
  live: [{ to: 'suspended', label: 'admin.suspend' }],
  suspended: [
    { to: 'upcoming', label: 'admin.resume' },
    { to: 'live', label: 'admin.goLive' },
  ],
  finished: [],
  cancelled: [],
};

function AdminEventCard({ event }: { event: Event }) {
  const { t, lang } = useI18n();
  const name = eventName(event);
  const [settling, setSettling] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [result, setResult] = useState<Selection>('home');
  const [score, setScore] = useState({ home: '', away: '' });
  const resultId = useId();
  const changeStatus = useAdminMutation(
    (status: 'upcoming' | 'live' | 'suspended') => api.updateEvent({ params: { id: event.id }, body: { status } }),
    (updated: Event) => t('admin.statusChanged', { event: name, status: t(`events.status.${updated.status}`) }),
  );
  const settle = useAdminMutation(
    () => {
      const hasScore = score.home !== '' && score.away !== '';
      return api.settleEvent({
        params: { id: event.id },
        body: { result, ...(hasScore ? { score: { home: Number(score.home), away: Number(score.away) } } : {}) },
      });
    },
    (answer: { won: number; lost: number }) => t('admin.settled', { event: name, won: answer.won, lost: answer.lost }),
  );
  const cancel = useAdminMutation(
    () => api.cancelEvent({ params: { id: event.id } }),
    (answer: { voided: number }) => t('admin.cancelled', { event: name, voided: answer.voided }),
  );
  const closed = event.status === 'finished' || event.status === 'cancelled';
  const scoreField = (side: 'home' | 'away', label: string) => (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={`${resultId}-${side}`}>{label}</Label>
      <Input
        id={`${resultId}-${side}`}
        type="number"
        min={0}
        max={99}
        inputMode="numeric"
        value={score[side]}
        onChange={(change) => setScore((current) => ({ ...current, [side]: change.target.value }))}
      />
    </div>
  );
  return (
    <Card className="flex flex-col gap-3 p-4" data-testid="admin-event" data-event={name}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div>
          <h3 className="font-semibold">{name}</h3>
          <p className="text-xs text-muted-foreground">
            {event.tournament} · {event.round} · <time dateTime={event.startsAt}>{displayDateTime(event.startsAt, lang)}</time>
          </p>
        </div>
        <Badge data-testid="admin-status">{t(`events.status.${event.status}`)}</Badge>
      </div>
      {closed ? null : (
        <>
          <OddsForm event={event} />
          <div className="flex flex-wrap gap-2">
            {statusActions[event.status].map((action) => (
              <Button key={action.to} size="sm" variant="outline" disabled={changeStatus.isPending} onClick={() => changeStatus.mutate(action.to)}>
                {t(action.label)}
              </Button>
            ))}
            <Button size="sm" onClick={() => setSettling(true)}>
              {t('admin.settle')}
            </Button>
            <Button size="sm" variant="destructive" onClick={() => setCancelling(true)}>
              {t('admin.cancelEvent')}
            </Button>
          </div>
        </>
      )}
      <ConfirmDialog
        open={settling}
        onOpenChange={setSettling}
        title={t('admin.settleTitle', { event: name })}
        description={t('admin.settleWarning')}
        confirmLabel={t('admin.settleConfirm')}
        cancelLabel={t('app.cancel')}
        busy={settle.isPending}
        onConfirm={() => settle.mutate(undefined, { onSettled: () => setSettling(false) })}
      >
        <div className="flex flex-col gap-3">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={resultId}>{t('admin.result')}</Label>
            <Select id={resultId} value={result} onChange={(change) => setResult(change.target.value as Selection)}>
              {selections.map((selection) => (
                <option key={selection} value={selection}>
                  {t(selectionLong[selection])}
                </option>
              ))}
            </Select>
          </div>
          <div className="grid grid-cols-2 gap-2">
            {scoreField('home', t('admin.scoreHome'))}
            {scoreField('away', t('admin.scoreAway'))}
          </div>
        </div>
      </ConfirmDialog>
      <ConfirmDialog
        open={cancelling}
        onOpenChange={setCancelling}
        destructive
        title={t('admin.cancelTitle', { event: name })}
        description={t('admin.cancelWarning')}
        confirmLabel={t('admin.cancelConfirm')}
        cancelLabel={t('app.cancel')}
        busy={cancel.isPending}
        onConfirm={() => cancel.mutate(undefined, { onSettled: () => setCancelling(false) })}
      />
    </Card>
  );
}

export default function AdminPage() {
  const { t, lang } = useI18n();
  const { user } = useAuth();
  const events = useQuery({ queryKey: keys.events, queryFn: () => api.listEvents({}), enabled: user?.role === 'admin' });
  if (user?.role !== 'admin') return <Alert>{t('admin.forbidden')}</Alert>;
  return (
    <section className="flex flex-col gap-4" aria-labelledby="admin-title">
      <h1 id="admin-title" className="text-2xl font-bold tracking-tight">
        {t('admin.title')}
      </h1>
      <CreateEventCard />
      {events.isError ? <Alert>{describeError(lang, errorCode(events.error))}</Alert> : null}
      <ul className="flex flex-col gap-3">
        {events.data?.map((event) => (
          <li key={event.id}>
            <AdminEventCard event={event} />
          </li>
        ))}
      </ul>
    </section>
  );
}
