/**
 * Generators of hostile HTTP requests for the property-based tests at the edge
 * (hostile-input.test.ts): bodies, query strings, path segments and headers an attacker or a
 * broken client could send. Each generator yields text exactly as it goes on the wire, so
 * malformed JSON, duplicated keys and bad percent-encoding are reachable too.
 */
import { createPrivateKey, randomUUID, sign as cryptoSign, type JsonWebKey } from 'node:crypto';
import fc from 'fast-check';

/** Keys that prototype-pollution and confused-deputy attacks rely on. */
const dangerousKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '$where', '$ne'];

/** Numbers where parsers and bigint conversions break, written as JSON number literals. */
export const edgeNumberLiterals = [
  '0', '-0', '1', '-1', '0.1', '1e308', '-1e308', '1e309', '-1e309', '5e-324', '1e-400',
  '9007199254740991', '9007199254740993', '-9007199254740993', '2147483648', '-2147483649',
  '18446744073709551616', '1.0000000000000002', '123456789012345678901234567890', '1E2', '1e+2',
];

/** Strings that look like money, odds or ids but are not quite (or are at their limits). */
const edgeStrings = [
  '', ' ', '0', '0.00', '-0.00', '-1.00', '0.001', '1e3', 'NaN', 'Infinity', '-Infinity', '1,00', '١٠٠',
  '99999999999999.99', '999999999999999999999', '1.01', '1000.00', '1000.01', '1.00 ', ' 1.00', '+1.00', '0x10',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '../../etc/passwd',
  "' OR 1=1 --", '"; DROP TABLE bets; --', '${jndi:ldap://x}', '<script>alert(1)</script>', '%00', '\u0000',
  '\u202e', '\ud800', '\udfff', '\uffff', '\u{1f4a9}', 'home', 'HOME', 'home\u0000', 'admin', 'x'.repeat(10_000),
];

const controlCharacter = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));

/** Any string: full unicode (with lone surrogates), control characters, or a known edge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...edgeStrings),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.oneof(controlCharacter, fc.constantFrom('\\', '"', '\u2028', '\ud83d')), maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

const hostileKey: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...dangerousKeys), hostileString);

/** A JSON value as text: edge numbers, hostile strings and keys, nested a few levels. */
export function hostileJsonValue(fieldNames: readonly string[]): fc.Arbitrary<string> {
  const key = fc.oneof(fc.constantFrom(...fieldNames, ...dangerousKeys), hostileKey);
  const { value } = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...edgeNumberLiterals, 'true', 'false', 'null'),
      hostileString.map((s) => JSON.stringify(s)),
      fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
      fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    ),
  }));
  return value;
}

/**
 * A body near a valid one: every field of `valid`, with some replaced by hostile values, some
 * dropped, a dangerous or unknown key added, or a key written twice (last one hostile).
 */
export function nearValidBody(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const fields = Object.keys(valid);
  const value = hostileJsonValue(fields);
  return fc
    .record({
      replaced: fc.subarray(fields),
      dropped: fc.subarray(fields, { maxLength: 1 }),
      extra: fc.option(fc.tuple(hostileKey, value), { nil: undefined }),
      duplicated: fc.option(fc.tuple(fc.constantFrom(...fields), value), { nil: undefined }),
      values: fc.array(value, { minLength: fields.length, maxLength: fields.length }),
    })
    .map(({ replaced, dropped, extra, duplicated, values }) => {
      const parts = fields
        .filter((field) => !dropped.includes(field))
        .map((field) => `${JSON.stringify(field)}:${replaced.includes(field) ? values[fields.indexOf(field)] : JSON.stringify(valid[field])}`);
      if (extra) parts.push(`${JSON.stringify(extra[0])}:${extra[1]}`);
      if (duplicated) parts.push(`${JSON.stringify(duplicated[0])}:${duplicated[1]}`);
      return `{${parts.join(',')}}`;
    });
}

/** Bodies no parser should choke on: very deep, very wide, very long, or not JSON at all. */
export const pathologicalBody: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 500, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 500, max: 5_000 }).map((depth) => `${'{"__proto__":'.repeat(depth)}{}${'}'.repeat(depth)}`),
  fc.integer({ min: 500, max: 5_000 }).map((depth) => `${'{"constructor":{"prototype":'.repeat(depth)}{}${'}}'.repeat(depth)}`),
  fc.integer({ min: 500, max: 10_000 }).map((depth) => `{"amount":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.integer({ min: 100, max: 4_000 }).map((count) => `{${Array.from({ length: count }, (_, i) => `"k${i}":${i}`).join(',')}}`),
  fc.integer({ min: 100, max: 4_000 }).map((count) => `{${Array.from({ length: count }, () => '"amount":"1.00"').join(',')}}`),
  fc.integer({ min: 1_000, max: 60_000 }).map((length) => JSON.stringify({ amount: '9'.repeat(length) })),
  fc.constantFrom(
    '', ' ', 'null', 'true', '0', '"string"', '[]', '{', '}', '{"a":}', '{"a":1,}', '[1,2', '{"a":1}garbage',
    '\ufeff{}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}', "{'a':1}",
    '{"__proto__":{"isAdmin":true,"role":"admin"}}', '{"constructor":{"prototype":{"role":"admin"}}}',
    '{"a":1}\u0000', '\u0000', '\\', '{"a":"\u0001\u0002\u001f"}', '{"a":1e99999}', '{"a":-}', '{"a":01}', '{"a":.5}',
  ),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

/** Content types a JSON API must refuse or handle (and some it must accept). */
export const hostileContentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'application/jsonx',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=ludic',
  'application/xml',
  'application/octet-stream',
  '*/*',
  ';;;',
  'application/json; boundary=',
  undefined,
);

/** A path segment for `:id`: a real id, a near-uuid, traversal, or bytes percent-encoded badly. */
export function hostileIdSegment(realIds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...realIds),
    fc.uuid().map((id) => id),
    fc.constantFrom(
      '0', '-1', 'null', 'undefined', '%00', '%zz', '%', '%ff%fe', '%c0%ae%c0%ae', '..%2f..%2finternal', '%2e%2e',
      '00000000-0000-0000-0000-00000000000g', '{id}', ':id', '%E2%80%AE', '%F0%9F%92%A9', 'a'.repeat(2_000),
      '00000000-0000-0000-0000-000000000000%00', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ),
    hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')) || 'x'),
  );
}

/** A query string (without `?`): known parameters and others, repeated, hostile, badly encoded. */
export function hostileQuery(parameterNames: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(fc.constantFrom(...parameterNames, ...dangerousKeys, 'limit[]', 'status[$ne]', ''), fc.string({ maxLength: 8 }));
  const rawValue = fc.oneof(
    fc.constantFrom(...edgeNumberLiterals, 'NaN', '', '%', '%zz', '%ff', '%00', '%E2%80%AE', '1%2C2', 'a'.repeat(5_000)),
    hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
  );
  return fc
    .array(fc.tuple(name, rawValue, fc.boolean()), { maxLength: 6 })
    .map((pairs) => pairs.map(([key, value, bare]) => (bare && value === '' ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${value}`)).join('&'));
}

/** What Node lets a client put in a header value: visible ASCII and latin-1 bytes (no DEL). */
const headerCharacter = fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code));

/**
 * An Authorization header value that must never authenticate: missing, malformed, a JWT with
 * `alg: none`, a stranger's signature, or bytes HTTP allows but base64url does not.
 */
export function hostileAuthorization(forgedTokens: readonly string[]): fc.Arbitrary<string | undefined> {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'attacker', role: 'admin', exp: 4_102_444_800 })}.`;
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(...forgedTokens).map((token) => `Bearer ${token}`),
    fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `Bearer ${unsigned}`, `bearer ${unsigned}`, 'Bearer a.b.c', 'Bearer ...', `Bearer ${'a'.repeat(4_000)}`),
    fc.string({ unit: headerCharacter, maxLength: 200 }).map((s) => `Bearer ${s}`),
  );
}

/** Header values Node lets a client send (tab, visible ASCII, latin-1 bytes), sometimes long. */
export const hostileHeaderValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.oneof(fc.constant('\t'), headerCharacter), maxLength: 300 }),
  fc.constantFrom('', ' ', 'x'.repeat(256), 'x'.repeat(2_000), '../../', '\u00ff\u00fe'),
);

/**
 * An EdDSA access token with the gateway's claims, signed by `privateJwk` (JSON). With a
 * stranger's key and the stack's `kid` it is a forgery every service must refuse.
 */
export function signAccessToken(privateJwk: string, claims: { sub: string; email: string; role: 'player' | 'admin'; kid?: string; expiresIn?: number }): string {
  const { kid, ...jwk } = JSON.parse(privateJwk) as JsonWebKey & { kid: string };
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'EdDSA', typ: 'JWT', kid: claims.kid ?? kid })}.${encode({
    sub: claims.sub, email: claims.email, name: 'Forger', role: claims.role, sid: randomUUID(), jti: randomUUID(),
    iss: 'ludic-auth', aud: 'ludic', iat: now, exp: now + (claims.expiresIn ?? 900),
  })}`;
  const signature = cryptoSign(null, Buffer.from(signingInput), createPrivateKey({ key: jwk, format: 'jwk' }));
  return `${signingInput}.${signature.toString('base64url')}`;
}
