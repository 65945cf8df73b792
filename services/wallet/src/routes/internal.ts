import { formatMoney, internalRoutes } from '@ludic/contracts';
import { contractRoute, LudicError, type ServiceApp } from '@ludic/service-kit';
import { assertCallerReference, creditWallet, positiveAmount, takeStakeFromWallet, toLedgerEntry, voidDebit, type Movement } from '../ledger.js';
import { balanceNotification } from '../notifications.js';
import { findOwnedEntries, findOwnedEntriesByKind } from '../repository.js';
import { reversalReference } from '../ledger.js';
import type { WalletContext } from './context.js';

/** Service-to-service routes for bets: `x-internal-token` enforced by contractRoute. */
export function registerInternalRoutes(app: ServiceApp, ctx: WalletContext): void {
  const answer = (movement: Movement) => ({ entryId: movement.entry.id, balance: formatMoney(movement.balance) });
  const itself = (movement: Movement) => movement;

  app.route({
    ...contractRoute(internalRoutes.debit),
    handler: async (request) => {
      const { userId, reference } = request.body;
      const amount = positiveAmount(request.body.amount);
      assertCallerReference(reference);
      return answer(await ctx.cache.move(userId, () => takeStakeFromWallet(ctx.db, { userId, amount, reference }, ctx.settings), itself));
    },
  });

  app.route({
    ...contractRoute(internalRoutes.credit),
    handler: async (request) => {
      const { userId, reference, type } = request.body;
      const amount = positiveAmount(request.body.amount);
      assertCallerReference(reference);
      const credit = () => ctx.db.transaction().execute((trx) => creditWallet(trx, { userId, amount, reference, type }, ctx.settings));
      return answer(await ctx.cache.move(userId, credit, itself));
    },
  });

  app.route({
    ...contractRoute(internalRoutes.void),
    handler: async (request) => {
      const { reference } = request.body;
      assertCallerReference(reference);
      // Whose wallet it is shows only inside the transaction: no mark, so the finish (or, when
      // Redis cannot hear it, the wait) is what keeps the cached balance honest.
      let outcome;
      try {
        outcome = await ctx.db.transaction().execute((trx) => voidDebit(trx, reference));
      } catch (error) {
        if (!(error instanceof LudicError)) await ctx.cache.uncertain(undefined);
        throw error;
      }
      const { reversal } = outcome;
      if (reversal) await ctx.cache.finish(reversal.userId, undefined, reversal.entry.entry_no, balanceNotification(reversal.userId, reversal.balance));
      return { voided: outcome.voided };
    },
  });

  app.route({
    ...contractRoute(internalRoutes.entries),
    handler: async (request) => {
      const { reference, prefix, olderThan, after, limit = 100 } = request.query;
      if ((reference === undefined) === (prefix === undefined)) {
        throw new LudicError('VALIDATION_ERROR', 'give either reference or prefix', {
          fields: [{ field: 'querystring', message: 'exactly one of reference and prefix is required' }],
        });
      }
      if (reference !== undefined) {
        if (olderThan !== undefined || after !== undefined) {
          const field = olderThan !== undefined ? 'olderThan' : 'after';
          throw new LudicError('VALIDATION_ERROR', `${field} goes with prefix`, {
            fields: [{ field: `querystring/${field}`, message: 'only with prefix' }],
          });
        }
        // The entry and, if it was voided, its reversal: what a reconciler needs to decide.
        const rows = await findOwnedEntries(ctx.db, [reference, reversalReference(reference)]);
        return rows.map(toLedgerEntry);
      }
      const kind = prefix!.slice(0, -1);
      const rows = await findOwnedEntriesByKind(ctx.db, kind, { olderThan: olderThan === undefined ? undefined : new Date(olderThan), after, limit });
      return rows.map(toLedgerEntry);
    },
  });
}
