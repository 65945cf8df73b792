import { formatMoney, publicRoutes, type DepositResult, type Wallet } from '@ludic/contracts';
import { contractRoute, idempotencyKeyOf, LudicError, runIdempotent, type IdempotencyStore, type ServiceApp } from '@ludic/service-kit';
import { depositToWallet, openWallet, positiveAmount, toTransaction, toWallet, type Movement } from '../ledger.js';
import { findWalletByUser, findWalletWithVersion, listWalletEntries, type WalletRow } from '../repository.js';
import type { WalletDatabase } from '../db.js';
import type { WalletContext } from './context.js';

/** The user's own wallet; `request.user` is the verified token (contractRoute enforces it). */
export function registerPublicRoutes(app: ServiceApp, ctx: WalletContext, idempotency: IdempotencyStore): void {
  const walletOf = async (userId: string): Promise<WalletRow> =>
    (await findWalletByUser(ctx.db, userId)) ?? ctx.db.transaction().execute((trx) => openWallet(trx, userId, ctx.settings));

  // Served from the balance cache when it can vouch for it (see balance-cache.ts), else read
  // and offered to the cache.
  app.route({
    ...contractRoute(publicRoutes.getWallet),
    handler: async (request, reply) => {
      const userId = request.user.sub;
      const cached = await ctx.cache.read(userId);
      // Already JSON: Fastify sends a string with a JSON content type as it is.
      if ('hit' in cached) return reply.type('application/json; charset=utf-8').send(cached.hit as unknown as Wallet);
      const found = await findWalletWithVersion(ctx.db, userId);
      if (!found) return toWallet(await ctx.db.transaction().execute((trx) => openWallet(trx, userId, ctx.settings)));
      const wallet = toWallet(found);
      if ('ticket' in cached && found.version !== null) ctx.cache.fill(userId, cached.ticket, found.version, JSON.stringify(wallet));
      return wallet;
    },
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
      let movement: Movement | undefined;
      const deposit = () =>
        runIdempotent<WalletDatabase, DepositResult>(
          ctx.db,
          idempotency,
          { userId, key, operation: 'POST /api/wallet/deposit', payload: request.body },
          async (trx) => {
            movement = await depositToWallet(trx, { userId, amount }, ctx.settings, ctx.deposits.limits);
            return { status: 201, body: { transaction: toTransaction(movement.entry), balance: formatMoney(movement.balance) } };
          },
        );
      const result = await ctx.cache.move(userId, deposit, (outcome) => (outcome.replayed ? undefined : movement));
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      if (!result.replayed) app.businessMetrics.depositMade(amount);
      return reply.code(result.status).send(result.body);
    },
  });
}
