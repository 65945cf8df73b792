import { publicRoutes } from '@ludic/contracts';
import { contractRoute, type ServiceApp } from '@ludic/service-kit';
import { createEvent, updateEventOddsOrStatus } from '../domain/events-admin.js';
import { cancelEvent, settleEvent, type SettlementOutcome } from '../domain/settlement.js';
import type { BetsRuntime } from '../runtime.js';
import { publishSettledBets } from '../streams.js';

/** Admin routes: create events, change odds and status, settle and cancel. */
export function adminRoutes(app: ServiceApp, runtime: BetsRuntime): void {
  const { db, cache, workers } = runtime;

  /** After a settlement commits: every cache drops, bettors hear, the outbox starts paying now. */
  const afterSettlement = async <R>(outcome: SettlementOutcome<R>): Promise<R> => {
    await cache.announceChange();
    await publishSettledBets(app.redis, outcome.settledBets, app.log);
    app.businessMetrics.betsSettled(outcome.settledBets);
    void workers.outbox.runOnce();
    return outcome.result;
  };

  app.route({
    ...contractRoute(publicRoutes.createEvent),
    handler: async (request, reply) => {
      const event = await createEvent(db, request.body);
      await cache.announceChange();
      return reply.code(201).send(event);
    },
  });

  app.route({
    ...contractRoute(publicRoutes.updateEvent),
    handler: async (request) => {
      const event = await updateEventOddsOrStatus(db, request.params.id, request.body);
      await cache.announceChange();
      return event;
    },
  });

  app.route({
    ...contractRoute(publicRoutes.settleEvent),
    handler: async (request) => afterSettlement(await db.transaction().execute((trx) => settleEvent(trx, request.params.id, request.body))),
  });

  app.route({
    ...contractRoute(publicRoutes.cancelEvent),
    handler: async (request) => afterSettlement(await db.transaction().execute((trx) => cancelEvent(trx, request.params.id))),
  });
}
