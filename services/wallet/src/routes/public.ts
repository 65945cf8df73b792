import { formatMoney, publicRoutes, type DepositResult } from '@ludic/contracts';
import { contractRoute, idempotencyKeyOf, LudicError, runIdempotent, type IdempotencyStore, type ServiceApp } from '@ludic/service-kit';
import { depositToWallet, openWallet, positiveAmount, toTransaction, toWallet } from '../ledger.js';
import { publishBalance } from '../notifications.js';
import { findWalletByUser, listWalletEntries, type WalletRow } from '../repository.js';
import type { WalletDatabase } from '../db.js';
import type { WalletContext } from './context.js';

/** The user's own wallet; `request.user` is the verified token (contractRoute enforces it). */
export function registerPublicRoutes(app: ServiceApp, ctx: WalletContext, idempotency: IdempotencyStore): void {
  const walletOf = async (userId: string): Promise<WalletRow> =>
    (await findWalletByUser(ctx.db, userId)) ?? ctx.db.transaction().execute((trx) => openWallet(trx, userId, ctx.settings));

  app.route({
    ...contractRoute(publicRoutes.getWallet),
    handler: async (request) => toWallet(await walletOf(request.user.sub)),
  });

  app.route({
    ...contractRoute(publicRoutes.listTransactions),
    handler: async (request) => {
      const wallet = await walletOf(request.user.sub);
      const rows = await listWalletEntries(ctx.db, wallet.id, { limit: request.query.limit ?? 50, before: request.query.before });
      return rows.map(toTransaction);
    },
  });

  app.route({
    ...contractRoute(publicRoutes.deposit),
    handler: async (request, reply) => {
      const key = idempotencyKeyOf(request);
      if (!ctx.deposits.enabled) throw new LudicError('DEPOSITS_DISABLED', 'deposits are switched off');
      const amount = positiveAmount(request.body.amount);
      const userId = request.user.sub;
      let newBalance: bigint | undefined;
      const result = await runIdempotent<WalletDatabase, DepositResult>(
        ctx.db,
        idempotency,
        { userId, key, operation: 'POST /api/wallet/deposit', payload: request.body },
        async (trx) => {
          const movement = await depositToWallet(trx, { userId, amount }, ctx.settings, ctx.deposits.limits);
          newBalance = movement.balance;
          return { status: 201, body: { transaction: toTransaction(movement.entry), balance: formatMoney(movement.balance) } };
        },
      );
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      else if (newBalance !== undefined) publishBalance(app, userId, newBalance);
      if (!result.replayed) app.businessMetrics.depositMade(amount);
      return reply.code(result.status).send(result.body);
    },
  });
}
