import type { Bet } from './schemas/bets.js';

/**
 * Real-time notifications travel over Redis pub/sub, one channel per user, to whichever bets
 * instance holds that user's `GET /api/bets/stream`; it forwards them as Server-Sent Events
 * named by `type`.
 */
export function notificationChannel(userId: string): string {
  return `ludic:notify:${userId}`;
}

export type Notification =
  | { type: 'wallet.updated'; data: { balance: string } }
  | { type: 'bet.settled'; data: Bet };
