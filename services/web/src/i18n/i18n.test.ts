import t from 'tap';
import { en } from './en.js';
import { ru } from './ru.js';
import { detectLanguage, placeholders, translate } from './translate.js';
import { ErrorCodes } from '@ludic/contracts';

t.test('every key exists in both languages, non-empty, with the same placeholders', async (t) => {
  t.same(Object.keys(ru).sort(), Object.keys(en).sort(), 'same keys');
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    t.ok(ru[key].trim().length > 0 && en[key].trim().length > 0, `${key} is not empty`);
    t.same(placeholders(ru[key]), placeholders(en[key]), `${key} has the same placeholders`);
  }
});

t.test('every error code a player can meet has words in both languages', async (t) => {
  const machineOnly = new Set(['REFERENCE_CONFLICT', 'REFERENCE_VOIDED', 'WALLET_NOT_FOUND', 'BET_NOT_FOUND', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'IDEMPOTENCY_KEY_REQUIRED', 'IDEMPOTENCY_KEY_REUSED', 'INTERNAL_ERROR', 'URI_TOO_LONG', 'HEADERS_TOO_LARGE']);
  for (const code of Object.keys(ErrorCodes)) {
    if (machineOnly.has(code)) continue;
    t.ok(`error.${code}` in en, `error.${code}`);
  }
});

t.test('translate fills placeholders and keeps unknown ones visible', async (t) => {
  t.equal(translate('en', 'topUp.done', { amount: '5.00' }), '5.00 added to your balance.');
  t.equal(translate('ru', 'topUp.done', { amount: '5,00' }), 'На баланс зачислено 5,00.');
  t.equal(translate('en', 'topUp.done'), '{amount} added to your balance.');
});

t.test('the default language comes from the browser', async (t) => {
  t.equal(detectLanguage(['ru-RU', 'en-US']), 'ru');
  t.equal(detectLanguage(['de-DE', 'en-GB']), 'en');
  t.equal(detectLanguage(['de-DE']), 'en');
  t.equal(detectLanguage([]), 'en');
});
