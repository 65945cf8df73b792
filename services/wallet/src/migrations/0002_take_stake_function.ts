import { sql, type Kysely } from 'kysely';

/**
 * `wallet.take_stake`: a bet's debit in ONE statement, so it runs in its own implicit
 * transaction and costs one round trip instead of five (begin, reference lock, state read,
 * conditional update, commit), and the wallet row is locked only for the function's own work
 * and its commit. The rules are exactly those of every other movement:
 *
 *   1. the reference's advisory lock first (the same key voids and credits take), then a fresh
 *      snapshot per statement (PL/pgSQL in READ COMMITTED), so what a concurrent void or a
 *      first attempt committed while we waited is seen;
 *   2. a tombstone → 'voided' (the debit is refused forever);
 *   3. an entry for the reference → 'replay' with that entry and its owner (the caller checks
 *      it is the same request);
 *   4. the conditional update `balance >= amount` (the row lock orders concurrent debits; the
 *      CHECK (balance >= 0) is the last line of defence) and the entry, or 'insufficient', or
 *      'no_wallet' when the user has no wallet yet (the caller opens it and calls again).
 *
 * Frozen once released: change it with a new migration (`create or replace`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function wallet.take_stake(p_user_id text, p_amount bigint, p_reference text)
    returns table (
      outcome text, id uuid, entry_no bigint, wallet_id uuid, type text, amount bigint,
      balance_after bigint, reference text, reference_kind text, created_at timestamptz, user_id text
    )
    language plpgsql volatile
    set search_path = pg_catalog, pg_temp
    as $fn$
    #variable_conflict use_column
    declare
      v_wallet_id uuid;
      v_balance bigint;
    begin
      if p_amount is null or p_amount <= 0 then
        raise exception 'take_stake: amount must be positive' using errcode = 'check_violation';
      end if;
      perform pg_advisory_xact_lock(hashtextextended('wallet.reference:' || p_reference, 0));

      if exists (select 1 from wallet.voided_references v where v.reference = p_reference) then
        return query select 'voided'::text, null::uuid, null::bigint, null::uuid, null::text, null::bigint,
                            null::bigint, null::text, null::text, null::timestamptz, null::text;
        return;
      end if;

      return query
        select 'replay'::text, e.id, e.entry_no, e.wallet_id, e.type, e.amount, e.balance_after,
               e.reference, e.reference_kind, e.created_at::timestamptz, w.user_id
        from wallet.ledger_entries e join wallet.wallets w on w.id = e.wallet_id
        where e.reference = p_reference;
      if found then
        return;
      end if;

      update wallet.wallets w set balance = w.balance - p_amount, updated_at = now()
      where w.user_id = p_user_id and w.balance >= p_amount
      returning w.id, w.balance into v_wallet_id, v_balance;
      if not found then
        return query select case when exists (select 1 from wallet.wallets w where w.user_id = p_user_id)
                                 then 'insufficient' else 'no_wallet' end,
                            null::uuid, null::bigint, null::uuid, null::text, null::bigint,
                            null::bigint, null::text, null::text, null::timestamptz, null::text;
        return;
      end if;

      return query
        insert into wallet.ledger_entries as e (wallet_id, type, amount, balance_after, reference)
        values (v_wallet_id, 'bet_stake', -p_amount, v_balance, p_reference)
        returning 'taken'::text, e.id, e.entry_no, e.wallet_id, e.type, e.amount, e.balance_after,
                  e.reference, e.reference_kind, e.created_at::timestamptz, p_user_id;
    end
    $fn$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function wallet.take_stake(text, bigint, text)`.execute(db);
}
