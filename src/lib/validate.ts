import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { FieldErrors } from './errors.js';
import { cleanText } from './text.js';
import { ADDRESS_FIELDS, type Address } from '../db/schema/address.js';

/** Collects field errors while reading a form; `fail()` throws when any was found. */
export class FormReader {
  readonly errors: FieldErrors = {};

  constructor(private readonly body: Record<string, unknown>) {}

  text(field: string, opts: { required?: boolean; max?: number; multiline?: boolean } = {}): string {
    const v = cleanText(this.body[field], { multiline: opts.multiline });
    const max = opts.max ?? 500;
    if (opts.required && !v) this.errors[field] = { key: 'validation.required' };
    else if (v.length > max) this.errors[field] = { key: 'validation.tooLong', params: { count: max } };
    return v;
  }

  /** An integer in [min, max]; empty gives `empty`. */
  int(field: string, min: number, max: number, empty: number | null): number | null {
    const raw = cleanText(this.body[field]);
    if (raw === '') return empty;
    // An optional sign (ASCII plus or minus, or the typographic minus), then digits; `-` is escaped,
    // as `[+-−]` would be a character range that lets letters through.
    if (!/^[+\-−]?\d{1,9}$/.test(raw)) {
      this.errors[field] = { key: 'validation.integerRange', params: { min, max } };
      return empty;
    }
    const n = Number(raw.replace('−', '-'));
    if (n < min || n > max) {
      this.errors[field] = { key: 'validation.integerRange', params: { min, max } };
      return empty;
    }
    return n;
  }

  /** An optional id from a select: positive integer or null. */
  id(field: string): number | null {
    const raw = cleanText(this.body[field]);
    if (raw === '') return null;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
      this.errors[field] = { key: 'validation.choose' };
      return null;
    }
    return Number(raw);
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const v = cleanText(this.body[field]);
    if (v === '') return fallback;
    if (!allowed.includes(v as T)) {
      this.errors[field] = { key: 'validation.choose' };
      return fallback;
    }
    return v as T;
  }

  email(field: string, value: string): string {
    if (value && !isEmail(value)) this.errors[field] = { key: 'validation.email' };
    return value;
  }

  address(prefix = ''): Address {
    const a = {} as Address;
    for (const f of ADDRESS_FIELDS) a[f] = this.text(prefix + f, { max: f === 'addrStreet' ? 300 : 200 });
    const russian = a.addrCountry === '' || /^(россия|российская федерация|russia|russian federation|рф)$/i.test(a.addrCountry);
    if (a.addrIndex && russian && !/^\d{6}$/.test(a.addrIndex)) this.errors[prefix + 'addrIndex'] = { key: 'validation.postalIndex' };
    else if (a.addrIndex && !/^[A-Za-z0-9 -]{2,12}$/.test(a.addrIndex)) this.errors[prefix + 'addrIndex'] = { key: 'validation.postalIndex' };
    return a;
  }

  /** Values of a repeated field (`name` may come once, many times, or not at all). */
  list(field: string): string[] {
    const v = this.body[field];
    if (v === undefined || v === null) return [];
    return (Array.isArray(v) ? v : [v]).map((x) => cleanText(x));
  }

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }
}

// Practical check, not RFC 5322: one @, a dot in the domain, no spaces, sane length.
const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/u;
export function isEmail(s: string): boolean {
  return s.length <= 254 && EMAIL_RE.test(s);
}

/** A phone as typed, checked and normalized with libphonenumber (default country Russia). */
export function parsePhone(number: string): { e164: string; national: string } | null {
  const p = parsePhoneNumberFromString(number, 'RU');
  if (!p || !p.isPossible()) return null;
  return { e164: p.number, national: p.nationalNumber };
}
