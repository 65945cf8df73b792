import { Type, type Static } from '@sinclair/typebox';
import { Label, Money, Nullable, Odds, Timestamp, UserId, Uuid } from './common.js';

export const Selection = Type.Union([Type.Literal('home'), Type.Literal('draw'), Type.Literal('away')]);
export type Selection = Static<typeof Selection>;

export const EventStatus = Type.Union([
  Type.Literal('upcoming'),
  Type.Literal('live'),
  Type.Literal('suspended'),
  Type.Literal('finished'),
  Type.Literal('cancelled'),
]);
export type EventStatus = Static<typeof EventStatus>;

export const Score = Type.Object(
  { home: Type.Integer({ minimum: 0, maximum: 99 }), away: Type.Integer({ minimum: 0, maximum: 99 }) },
  { additionalProperties: false },
);
export type Score = Static<typeof Score>;

export const MarketOdds = Type.Object({ home: Odds, draw: Odds, away: Odds }, { additionalProperties: false });
export type MarketOdds = Static<typeof MarketOdds>;

export const Event = Type.Object(
  {
    id: Uuid,
    tournament: Type.String(),
    round: Type.String(),
    homeTeam: Type.String(),
    awayTeam: Type.String(),
    startsAt: Timestamp,
    status: EventStatus,
    score: Nullable(Score),
    odds: MarketOdds,
    result: Nullable(Selection),
  },
  { $id: 'Event', additionalProperties: false },
);
export type Event = Static<typeof Event>;

export const EventListQuery = Type.Object(
  {
    status: Type.Optional(EventStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type EventListQuery = Static<typeof EventListQuery>;

export const BetStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('won'),
  Type.Literal('lost'),
  Type.Literal('void'),
]);
export type BetStatus = Static<typeof BetStatus>;

export const Bet = Type.Object(
  {
    id: Uuid,
    userId: UserId,
    eventId: Uuid,
    eventName: Type.String({ description: '"Home — Away" at the time of the bet.' }),
    selection: Selection,
    odds: Odds,
    amount: Money,
    potentialWin: Money,
    status: BetStatus,
    result: Nullable(Selection),
    createdAt: Timestamp,
    settledAt: Nullable(Timestamp),
  },
  { $id: 'Bet', additionalProperties: false },
);
export type Bet = Static<typeof Bet>;

export const PlaceBetBody = Type.Object(
  { eventId: Uuid, selection: Selection, odds: Odds, amount: Money },
  { additionalProperties: false },
);
export type PlaceBetBody = Static<typeof PlaceBetBody>;

export const BetListQuery = Type.Object(
  {
    status: Type.Optional(BetStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type BetListQuery = Static<typeof BetListQuery>;

export const Leader = Type.Object(
  {
    userId: UserId,
    name: Type.String(),
    totalBets: Type.Integer(),
    wonBets: Type.Integer(),
    winRate: Type.Integer({ minimum: 0, maximum: 100 }),
    profit: Type.String({ description: 'Signed money: Σ payouts − Σ stakes over settled bets.' }),
  },
  { additionalProperties: false },
);
export const Leaderboard = Type.Object({ leaders: Type.Array(Leader) }, { $id: 'Leaderboard', additionalProperties: false });
export type Leaderboard = Static<typeof Leaderboard>;

export const CreateEventBody = Type.Object(
  {
    tournament: Label,
    round: Label,
    homeTeam: Label,
    awayTeam: Label,
    startsAt: Timestamp,
    odds: MarketOdds,
  },
  { additionalProperties: false },
);
export type CreateEventBody = Static<typeof CreateEventBody>;

export const UpdateEventBody = Type.Object(
  {
    odds: Type.Optional(MarketOdds),
    status: Type.Optional(Type.Union([Type.Literal('upcoming'), Type.Literal('live'), Type.Literal('suspended')])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateEventBody = Static<typeof UpdateEventBody>;

export const SettleEventBody = Type.Object(
  { result: Selection, score: Type.Optional(Score) },
  { additionalProperties: false },
);
export type SettleEventBody = Static<typeof SettleEventBody>;

export const SettleResult = Type.Object(
  { event: Event, won: Type.Integer(), lost: Type.Integer() },
  { additionalProperties: false },
);
export type SettleResult = Static<typeof SettleResult>;

export const CancelResult = Type.Object({ event: Event, voided: Type.Integer() }, { additionalProperties: false });
export type CancelResult = Static<typeof CancelResult>;
