import { publicRoutes } from '@ludic/contracts';
import { contractRoute, type ServiceApp } from '@ludic/service-kit';
import { createEvent, updateEventOddsOrStatus } from '../domain/events-admin.js';
import { toBet } from '../domain/mapping.js';
import { cancelEvent, settleEvent, type SettlementOutcome } from '../domain/settlement.js';
import { decidedBetsPage } from '../repositories/bets.js';
import type { BetsRuntime } from '../runtime.js';
import { publishSettledBets } from '../streams.js';

/** Settled bets read and announced per round trip after a settlement. */
const NOTIFICATION_PAGE = 1000;

/** Admin routes: create events, change odds and status, settle and cancel. */
export function adminRoutes(app: ServiceApp, runtime: BetsRuntime): void {
  const { db, cache, workers } = runtime;

  /**
   * After a settlement commits: every cache drops, the outbox starts paying now, and bettors
   * hear, page by page (an event's bets never all sit in memory at once).
   */
  const afterSettlement = async <R>(outcome: SettlementOutcome<R>): Promise<R> => {
    await cache.announceChange();
    app.businessMetrics.betsSettled(outcome.totals);
    void workers.outbox.runOnce();
    let after: string | undefined;
    for (;;) {
      const page = await decidedBetsPage(db, outcome.eventId, after, NOTIFICATION_PAGE);
      await publishSettledBets(app.redis, page.map(toBet), app.log);
      if (page.length < NOTIFICATION_PAGE) break;
      after = page[page.length - 1]!.id;
    }
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
