import { publicRoutes } from '@ludic/contracts';
import { contractRoute, LudicError, type ServiceApp } from '@ludic/service-kit';
import { toEvent } from '../domain/mapping.js';
import { findEvent, listEvents } from '../repositories/events.js';
import type { BetsRuntime } from '../runtime.js';

/** Public event reads, served from the per-instance cache that every change invalidates. */
export function eventRoutes(app: ServiceApp, runtime: BetsRuntime): void {
  const { db, cache, config } = runtime;

  app.route({
    ...contractRoute(publicRoutes.listEvents),
    handler: async (request) => {
      const { status, limit = 50, before } = request.query;
      return cache.get(`events:${status ?? ''}:${limit}:${before ?? ''}`, async () => {
        const finishedSince = new Date(Date.now() - config.FINISHED_EVENTS_VISIBLE_MS);
        const rows = await listEvents(db, { ...(status ? { status } : {}), limit, ...(before ? { before } : {}), finishedSince });
        return rows.map(toEvent);
      });
    },
  });

  app.route({
    ...contractRoute(publicRoutes.getEvent),
    handler: async (request) =>
      cache.get(`event:${request.params.id}`, async () => {
        const row = await findEvent(db, request.params.id);
        if (!row) throw new LudicError('EVENT_NOT_FOUND', 'no such event');
        return toEvent(row);
      }),
  });
}
