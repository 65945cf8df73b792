import { formatMoney, notificationChannel, type Notification } from '@ludic/contracts';

/**
 * What tells the user's open streams about a new balance; published by the balance cache's
 * finish, after the commit and in the same Redis call. Best effort: the money has moved whether
 * or not Redis hears about it.
 */
export function balanceNotification(userId: string, balance: bigint): { channel: string; message: string } {
  const message: Notification = { type: 'wallet.updated', data: { balance: formatMoney(balance) } };
  return { channel: notificationChannel(userId), message: JSON.stringify(message) };
}
