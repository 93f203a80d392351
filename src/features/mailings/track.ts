import { isValidTracking, normalizeTracking } from './tracking-pending.js';

/** Why a typed tracking number is refused (an i18n key `mailings.tracking.<problem>`), or its 14 digits. */
export type TrackingRead = { number: string } | { problem: 'notDigits' | 'length' | 'checkDigit' };

/** One typed or pasted ШПИ: 14 digits (spaces and dashes between groups allowed) with a right check digit. */
export function readTracking(raw: string): TrackingRead {
  const number = normalizeTracking(raw);
  if (number === null) return { problem: /^[\d\s\u00a0\u2007\u202f\-\u2010-\u2015.]*$/.test(raw) ? 'length' : 'notDigits' };
  return isValidTracking(number) ? { number } : { problem: 'checkDigit' };
}

/** A pasted column: one number per line, blank lines skipped, in the order of the recipients. */
export function pastedLines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((raw, i) => ({ line: i + 1, text: raw.split('\t')[0].trim() }))
    .filter((l) => l.text !== '');
}
