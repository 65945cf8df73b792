import { formatMoney, publicRoutes } from '@ludic/contracts';
import { contractRoute, type ServiceApp } from '@ludic/service-kit';
import { topByProfit } from '../repositories/bets.js';
import type { BetsRuntime } from '../runtime.js';

const LEADERS = 50;

/**
 * Top players by profit. It changes only when an event settles, and settling announces an
 * event change, so it shares the events cache and its invalidation.
 */
export function leaderboardRoutes(app: ServiceApp, runtime: BetsRuntime): void {
  app.route({
    ...contractRoute(publicRoutes.leaderboard),
    handler: async () =>
      runtime.cache.get('leaderboard', async () => {
        const rows = await topByProfit(runtime.db, LEADERS);
        return {
          leaders: rows.map((row) => ({
            userId: row.user_id,
            name: row.name,
            totalBets: row.total_bets,
            wonBets: row.won_bets,
            // Integer percent, rounded down: 2 of 3 is 66.
            winRate: row.total_bets === 0 ? 0 : Math.floor((row.won_bets * 100) / row.total_bets),
            profit: formatMoney(row.profit),
          })),
        };
      }),
  });
}
