import { en, type MessageKey } from './en';
import { ru } from './ru';
import type { Lang } from '../lib/format';

export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, ru };

export type Vars = Record<string, string | number>;

/** Fills `{name}` placeholders; an unknown placeholder stays visible rather than vanishing. */
export function translate(lang: Lang, key: MessageKey, vars: Vars = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The placeholders a message uses, for the completeness test. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string).sort();
}

/** The browser's first preferred language we speak; English otherwise. */
export function detectLanguage(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ru' || base === 'en') return base;
  }
  return 'en';
}
