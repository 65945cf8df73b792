import { publicRoutes } from '@ludic/contracts';
import { contractRoute, idempotencyKeyOf, LudicError, type ServiceApp } from '@ludic/service-kit';
import { toBet } from '../domain/mapping.js';
import { concurrentBetsPerPlayer, PerKeyQueue } from '../domain/per-key-queue.js';
import { placeBet } from '../domain/place-bet.js';
import { findUserBet, listUserBets } from '../repositories/bets.js';
import type { BetsRuntime } from '../runtime.js';

/** Bets of one player waiting on this instance before more are refused with 429. */
const MAX_QUEUED_BETS_PER_PLAYER = 256;

/** A player's bets: place, list, read one, and the live stream of their notifications. */
export function betRoutes(app: ServiceApp, runtime: BetsRuntime): void {
  const { db, config } = runtime;
  const placeBetDeps = {
    db,
    pool: runtime.pool,
    idempotency: runtime.idempotency,
    wallet: runtime.wallet,
    limits: runtime.limits,
    transactionDeadlineMs: config.BET_TRANSACTION_DEADLINE_MS,
    fault: config.LUDIC_FAULT,
    log: app.log,
  };

  const perPlayer = new PerKeyQueue(MAX_QUEUED_BETS_PER_PLAYER, concurrentBetsPerPlayer(config.DATABASE_POOL_SIZE));

  app.route({
    ...contractRoute(publicRoutes.placeBet),
    handler: async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const { sub, name } = request.user;
      const outcome = await perPlayer.run(sub, () =>
        placeBet({ ...placeBetDeps, log: request.log }, { userId: sub, name }, request.body, key, request.id),
      );
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      else app.businessMetrics.betPlaced(outcome.body);
      return reply.code(201).send(outcome.body);
    },
  });

  app.route({
    ...contractRoute(publicRoutes.listBets),
    handler: async (request) => {
      const { status, limit = 50, before } = request.query;
      const rows = await listUserBets(db, request.user.sub, { ...(status ? { status } : {}), limit, ...(before ? { before } : {}) });
      return rows.map(toBet);
    },
  });

  app.route({
    ...contractRoute(publicRoutes.betStream),
    handler: async (request, reply) => runtime.streams.open(request, reply, request.user.sub),
  });

  app.route({
    ...contractRoute(publicRoutes.getBet),
    handler: async (request) => {
      const row = await findUserBet(db, request.user.sub, request.params.id);
      if (!row) throw new LudicError('BET_NOT_FOUND', 'no such bet');
      return toBet(row);
    },
  });
}
