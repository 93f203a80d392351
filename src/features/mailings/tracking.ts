/**
 * Russian Post's domestic tracking number (ШПИ, штриховой почтовый идентификатор): 14 digits —
 * the 6-digit postcode of the office that accepted the item, a 2-digit month code, a 5-digit serial
 * number within that month and office, and one check digit.
 *
 * Sources: the structure as described for the domestic identifier (ru.wikipedia "Почтовый
 * идентификатор" and the answers quoting it, e.g. 3otveta.ru "Рассчет контрольной цифры -
 * Внутрироссийский почтовый идентификатор": index of the accepting office, month number, item
 * number in the month, a check digit); the computation as TrackValidX implements it
 * (github.com/ssvarentsov/TrackValidX, .src/FMain.class, "validation of internal mail ID's from
 * Russia"); no Russian Post document stating it was found. It is GTIN-14's check digit:
 *   sum = 3 × (d1 + d3 + d5 + d7 + d9 + d11 + d13) + (d2 + d4 + d6 + d8 + d10 + d12)
 *   check = (10 − sum mod 10) mod 10
 * i.e. weights 3,1,3,1,… over the first 13 digits from the left, modulo 10, as in EAN-13.
 * The month code is not checked against 01–12: Russian Post's month counter cycles past 12
 * (numbers printed in 2015 carry 85–96), so a real number may hold any two digits there.
 */
import type { Translate } from '../../i18n/index.js';

export const TRACKING_LENGTH = 14;

/** Why a value is not a tracking number; each has a message `mailings.tracking.<reason>`. */
export type TrackingProblem = 'notDigits' | 'length' | 'checkDigit';

/** What a person or a receipt puts between the digit groups: spaces (also no-break), dashes, dots. */
const SEPARATORS = /[\s\u00a0\u2007\u202f\-\u2010-\u2015.]/g;

function digitsOf(s: string): string {
  return s.replace(SEPARATORS, '');
}

/** The 14 digits of a tracking number written with spaces or dashes, or null if it is not 14 digits. */
export function normalizeTracking(s: string): string | null {
  const d = digitsOf(s);
  return /^\d{14}$/.test(d) ? d : null;
}

/** The check digit for the first 13 digits. */
export function trackingCheckDigit(first13: string): number {
  if (!/^\d{13}$/.test(first13)) throw new RangeError('13 digits expected');
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += (first13.charCodeAt(i) - 48) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

/** What is wrong with a tracking number, or null when it is one (check digit included). */
export function trackingProblem(s: string): TrackingProblem | null {
  const d = digitsOf(s);
  if (!/^\d*$/.test(d)) return 'notDigits';
  if (d.length !== TRACKING_LENGTH) return 'length';
  return trackingCheckDigit(d.slice(0, 13)) === d.charCodeAt(13) - 48 ? null : 'checkDigit';
}

export function isValidTracking(s: string): boolean {
  return trackingProblem(s) === null;
}

export interface TrackingLine {
  /** 1-based line number in the pasted text. */
  line: number;
  /** The line as pasted, trimmed. */
  text: string;
}

export interface InvalidTrackingLine extends TrackingLine {
  reason: TrackingProblem | 'duplicate';
  /** For a duplicate: the line that had the number first. */
  firstLine?: number;
}

export interface TrackingColumn {
  /** The valid numbers in the order pasted (blank lines skipped), normalized to 14 digits. */
  numbers: string[];
  /** Where each valid number came from: `lines[i]` is the line of `numbers[i]`. */
  lines: number[];
  /** Lines that are not a valid number, with the reason; empty when the whole paste is good. */
  invalid: InvalidTrackingLine[];
  /** Non-blank lines: valid and invalid together (what the user pasted, to compare with the recipients). */
  count: number;
}

/**
 * A column pasted from the post office's receipt (or a spreadsheet): one number per line, in the
 * order of the recipients. Blank lines are skipped (a trailing newline, a gap between pages); every
 * other line is either a valid number or reported with its line number and reason, so the caller can
 * refuse the paste as a whole and name the lines to fix. A number repeated is reported on its
 * second line: two letters never share one.
 */
export function parseTrackingColumn(text: string): TrackingColumn {
  const numbers: string[] = [];
  const lines: number[] = [];
  const invalid: InvalidTrackingLine[] = [];
  const seen = new Map<string, number>();
  let count = 0;
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const line = i + 1;
    // A spreadsheet column copied with a neighbour brings a tab and more: the first cell is the number.
    const cell = raw.split('\t')[0].trim();
    if (cell === '') return;
    count++;
    const problem = trackingProblem(cell);
    if (problem) {
      invalid.push({ line, text: cell, reason: problem });
      return;
    }
    const number = digitsOf(cell);
    const first = seen.get(number);
    if (first !== undefined) {
      invalid.push({ line, text: cell, reason: 'duplicate', firstLine: first });
      return;
    }
    seen.set(number, line);
    numbers.push(number);
    lines.push(line);
  });
  return { numbers, lines, invalid, count };
}

/** Groups a number as Russian Post prints it under the barcode: 101000 85 12345 6. */
export function formatTracking(n: string): string {
  const d = normalizeTracking(n);
  return d ? `${d.slice(0, 6)} ${d.slice(6, 8)} ${d.slice(8, 13)} ${d.slice(13)}` : n;
}

/** One localized sentence per invalid line of a pasted column: "Строка 3 («…»): причина." */
export function trackingLineMessages(invalid: InvalidTrackingLine[], t: Translate): string[] {
  return invalid.map((l) =>
    t('tracking.atLine', { line: l.line, text: l.text, problem: t(`tracking.${l.reason}`, { firstLine: l.firstLine }) }),
  );
}
