import type { Locale } from '../db/schema/users.js';
import { en } from './en.js';
import { ru } from './ru.js';

import type { Dictionary, FeatureDictionary } from './types.js';

export type { Dictionary, FeatureDictionary, Message, Plural } from './types.js';

/**
 * The core dictionary, which each feature's own joins at startup (registerDictionary, called by
 * features/index.ts): this layer knows no feature. Translators read it when they translate, so
 * one made before a feature registered sees its strings too.
 */
export const dictionaries: Record<Locale, Dictionary> = { ru: { ...ru }, en: { ...en } };

/** Adds a feature's strings; a key the core or another feature already has is a mistake. */
export function registerDictionary(d: FeatureDictionary): void {
  for (const locale of ['ru', 'en'] as const) {
    for (const key of Object.keys(d[locale])) {
      if (key in dictionaries[locale] && dictionaries[locale][key] !== d[locale][key]) throw new Error(`i18n: ${locale} key ${key} is defined twice`);
    }
    Object.assign(dictionaries[locale], d[locale]);
  }
}
export const DEFAULT_LOCALE: Locale = 'ru';

export type Params = Record<string, string | number | null | undefined>;
export type Translate = (key: string, params?: Params) => string;

const pluralRules: Record<Locale, Intl.PluralRules> = {
  ru: new Intl.PluralRules('ru'),
  en: new Intl.PluralRules('en'),
};
const numberFormat: Record<Locale, Intl.NumberFormat> = {
  ru: new Intl.NumberFormat('ru'),
  en: new Intl.NumberFormat('en'),
};

export function isLocale(v: unknown): v is Locale {
  return v === 'ru' || v === 'en';
}

/**
 * Returns a translator for one locale. `{name}` placeholders are replaced from params; a plural
 * message picks its form from params.count. A missing key shows the key itself, so it is visible
 * in the page and caught by the dictionary test rather than crashing the request.
 */
export function translator(locale: Locale): Translate {
  const dict = dictionaries[locale];
  return (key, params = {}) => {
    const msg = dict[key];
    if (msg === undefined) return key;
    let text: string;
    if (typeof msg === 'string') {
      text = msg;
    } else {
      const count = Number(params.count ?? 0);
      text = msg[pluralRules[locale].select(count)] ?? msg.other;
    }
    return text.replace(/\{(\w+)\}/g, (m, name: string) => {
      const v = params[name];
      if (v === undefined || v === null) return m;
      return typeof v === 'number' ? numberFormat[locale].format(v) : v;
    });
  };
}

/** Picks a locale from an Accept-Language header; Russian unless English is preferred. */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  for (const part of header.split(',')) {
    const tag = part.split(';')[0].trim().toLowerCase();
    if (tag.startsWith('ru')) return 'ru';
    if (tag.startsWith('en')) return 'en';
  }
  return DEFAULT_LOCALE;
}

/**
 * Dates in the templates, by formatters made once per locale: constructing an Intl.DateTimeFormat
 * costs far more than formatting with one, and a page of 50 members formatted 100 dates.
 */
const dayFormat: Record<Locale, Intl.DateTimeFormat> = {
  ru: new Intl.DateTimeFormat('ru', { dateStyle: 'short' }),
  en: new Intl.DateTimeFormat('en', { dateStyle: 'short' }),
};
const stampFormat: Record<Locale, Intl.DateTimeFormat> = {
  ru: new Intl.DateTimeFormat('ru', { dateStyle: 'short', timeStyle: 'short' }),
  en: new Intl.DateTimeFormat('en', { dateStyle: 'short', timeStyle: 'short' }),
};

export function dateFormatters(locale: Locale) {
  return {
    /** A day: 26.11.2026. */
    day: (d: Date | string) => dayFormat[locale].format(new Date(d)),
    /** A moment: 26.11.2026, 14:05. */
    stamp: (d: Date | string) => stampFormat[locale].format(new Date(d)),
  };
}
