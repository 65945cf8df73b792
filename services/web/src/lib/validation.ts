/**
 * Client-side form checks that mirror the contract's auth schemas (packages/contracts
 * schemas/auth.ts), so a player hears about a short password before a round trip. The server
 * validates again; these only decide what to say sooner.
 */
const emailPattern = /^[^\s@]+@[^\s@]+$/;

export function validateEmail(value: string): boolean {
  const email = value.trim();
  return email.length >= 3 && email.length <= 254 && emailPattern.test(email);
}

/** 8–71 characters: PocketBase's bcrypt limit, which both identity providers share. */
export function validatePassword(value: string): boolean {
  return value.length >= 8 && value.length <= 71;
}

export function validateName(value: string): boolean {
  const name = value.trim();
  return name.length >= 1 && name.length <= 100;
}
