import { formatMoney, notificationChannel, type Notification } from '@ludic/contracts';
import type { ServiceApp } from '@ludic/service-kit';

/**
 * Tells the user's open streams about a new balance. Called after the commit and best effort:
 * the money has moved whether or not Redis hears about it, so a failure is logged, never thrown,
 * and never awaited by the request.
 */
export function publishBalance(app: ServiceApp, userId: string, balance: bigint): void {
  const message: Notification = { type: 'wallet.updated', data: { balance: formatMoney(balance) } };
  app.redis.publish(notificationChannel(userId), JSON.stringify(message)).catch((err: unknown) => {
    app.log.warn({ err, userId }, 'wallet.updated notification not published');
  });
}
