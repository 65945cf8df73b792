import { Type, type Static } from '@sinclair/typebox';
import { Label, PRINTABLE_CHARACTER, UserId } from './common.js';

export const Role = Type.Union([Type.Literal('player'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;

export const User = Type.Object(
  {
    id: UserId,
    email: Type.String({ maxLength: 254 }),
    name: Type.String({ maxLength: 100 }),
    role: Role,
  },
  { $id: 'User', additionalProperties: false },
);
export type User = Static<typeof User>;

/** Emails are trimmed and lower-cased by the gateway before anything else. */
const EMAIL_PART = `(?:(?![\\s@])${PRINTABLE_CHARACTER})+`;
export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: `^\\s*${EMAIL_PART}@${EMAIL_PART}\\s*$`,
  examples: ['player@example.com'],
});
/** PocketBase's limit is 71 bytes of bcrypt input; both providers share it. */
export const Password = Type.String({ minLength: 8, maxLength: 71 });
export const DisplayName = Label;

export const RegisterBody = Type.Object(
  { email: Email, password: Password, name: DisplayName },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 16, maxLength: 512 }) },
  { additionalProperties: false },
);
export type RefreshBody = Static<typeof RefreshBody>;

export const Session = Type.Object(
  {
    token: Type.String({ description: 'Access JWT for `Authorization: Bearer`.' }),
    refreshToken: Type.String({ description: 'Opaque; spent on use.' }),
    expiresIn: Type.Integer({ description: 'Access token lifetime in seconds.' }),
    user: User,
  },
  { $id: 'Session', additionalProperties: false },
);
export type Session = Static<typeof Session>;

/** What every service reads from a verified access token. */
export interface AccessClaims {
  sub: string;
  email: string;
  name: string;
  role: Role;
  sid: string;
  jti: string;
  iss: string;
  aud: string;
  exp: number;
  iat: number;
}
