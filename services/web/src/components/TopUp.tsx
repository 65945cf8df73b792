import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { useForm } from 'react-hook-form';
import { parseMoney, formatMoney } from '@ludic/contracts';
import { useI18n } from '../i18n';
import { api, errorCode, errorDetails, newIdempotencyKey } from '../lib/api';
import { describeError } from '../lib/errors';
import { displayMoney } from '../lib/format';
import { keys, useWallet } from '../lib/queries';
import { Button } from './ui/button';
import { Alert } from './ui/card';
import { ConfirmDialog, Dialog } from './ui/dialog';
import { FieldError, Input, Label } from './ui/input';
import { useToast } from './ui/toast';

const TopUpContext = createContext<{ open(): void } | null>(null);

/** Normalises "250,5" or "250.5" to the API's "250.50"; null when it is not an amount. */
export function normaliseAmount(input: string): string | null {
  const minor = parseMoney(input.trim().replace(',', '.'));
  return minor === null || minor === 0n ? null : formatMoney(minor);
}

/** The demo top-up: an amount, then a confirmation, then one deposit with its own Idempotency-Key. */
export function TopUpProvider({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const value = useMemo(() => ({ open: () => setOpen(true) }), []);
  return (
    <TopUpContext.Provider value={value}>
      {children}
      {open ? <TopUpDialog onClose={() => setOpen(false)} /> : null}
    </TopUpContext.Provider>
  );
}

export function useTopUp() {
  const context = useContext(TopUpContext);
  if (!context) throw new Error('useTopUp outside TopUpProvider');
  return context;
}

function TopUpDialog({ onClose }: { onClose(): void }) {
  const { t, lang } = useI18n();
  const { toast } = useToast();
  const queryClient = useQueryClient();
  const currency = useWallet().data?.currency;
  const [confirming, setConfirming] = useState<string | null>(null);
  const attempt = useRef<{ amount: string; key: string } | null>(null);
  const amountId = useId();
  const form = useForm<{ amount: string }>({ defaultValues: { amount: '' } });
  const deposit = useMutation({
    mutationFn: (amount: string) => {
      if (attempt.current?.amount !== amount) attempt.current = { amount, key: newIdempotencyKey() };
      return api.deposit({ body: { amount }, headers: { 'idempotency-key': attempt.current.key } });
    },
    onSuccess: (result) => {
      attempt.current = null;
      queryClient.setQueryData(keys.wallet, (wallet: { balance: string } | undefined) => (wallet ? { ...wallet, balance: result.balance } : wallet));
      void queryClient.invalidateQueries({ queryKey: keys.transactions });
      toast(t('topUp.done', { amount: displayMoney(result.transaction.amount, currency, lang) }), 'success');
      onClose();
    },
    onError: (error) => {
      if (errorCode(error) !== 'NETWORK') attempt.current = null;
      setConfirming(null);
    },
  });
  const failure = deposit.error ? describeError(lang, errorCode(deposit.error), errorDetails(deposit.error)) : null;
  const amountError = form.formState.errors.amount?.message;

  return (
    <>
      <Dialog open={confirming === null} onOpenChange={(next) => !next && onClose()} title={t('topUp.title')} description={t('topUp.description')} closeLabel={t('app.close')}>
        <form
          noValidate
          className="flex flex-col gap-3"
          onSubmit={form.handleSubmit(({ amount }) => setConfirming(normaliseAmount(amount)))}
        >
          <Label htmlFor={amountId}>
            {t('topUp.amount')}
            {currency ? ` (${currency})` : ''}
          </Label>
          <Input
            id={amountId}
            inputMode="decimal"
            autoComplete="off"
            autoFocus
            aria-invalid={amountError ? true : undefined}
            aria-describedby={amountError ? `${amountId}-error` : undefined}
            {...form.register('amount', { validate: (value) => (normaliseAmount(value) ? true : t('topUp.amountInvalid')) })}
          />
          <FieldError id={`${amountId}-error`} message={amountError} />
          {failure ? <Alert data-testid="topup-error">{failure}</Alert> : null}
          <Button type="submit">{t('topUp.submit')}</Button>
        </form>
      </Dialog>
      <ConfirmDialog
        open={confirming !== null}
        onOpenChange={(next) => !next && setConfirming(null)}
        title={t('topUp.confirmTitle', { amount: confirming ? displayMoney(confirming, currency, lang) : '' })}
        description={t('topUp.description')}
        confirmLabel={t('topUp.confirm')}
        cancelLabel={t('app.cancel')}
        busy={deposit.isPending}
        onConfirm={() => confirming && deposit.mutate(confirming)}
      />
    </>
  );
}
