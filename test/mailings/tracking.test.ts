import { describe, expect, it } from 'vitest';
import { translator } from '../../src/i18n/index.js';
import { registerFeatures } from '../../src/features/index.js';
import {
  formatTracking,
  isValidTracking,
  normalizeTracking,
  parseTrackingColumn,
  trackingCheckDigit,
  trackingLineMessages,
  trackingProblem,
} from '../../src/features/mailings/tracking.js';

// The mailings feature's strings join the dictionary at startup; this test starts no app.
registerFeatures();

/*
 * Numbers worked by hand (weights 3,1,3,… from the left over the first 13 digits, check =
 * (10 − sum mod 10) mod 10):
 *   101000 85 12345 ?: 3·(1+1+0+8+1+3+5) + (0+0+0+5+2+4) = 57 + 11 = 68 → 2
 *   145300 65 01234 ?: 3·(1+5+0+6+0+2+4) + (4+3+0+5+1+3) = 54 + 16 = 70 → 0
 *   620014 86 00001 ?: 3·(6+0+1+8+0+0+1) + (2+0+4+6+0+0) = 48 + 12 = 60 → 0
 *   603000 95 12345 ?: 3·(6+3+0+9+1+3+5) + (0+0+0+5+2+4) = 81 + 11 = 92 → 8
 *   125039 00 00042 ?: 3·(1+5+3+0+0+0+2) + (2+0+9+0+0+4) = 33 + 15 = 48 → 2
 */
const VALID = ['10100085123452', '14530065012340', '62001486000010', '60300095123458', '12503900000422'];

/** GTIN-14's check digit, written the GS1 way (weights from the right, 3 first): the same rule for 13 digits. */
function gtin14(first13: string): number {
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(first13[12 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

describe('ШПИ check digit', () => {
  it('accepts the numbers worked by hand and refuses every other last digit', () => {
    for (const n of VALID) {
      expect(isValidTracking(n), n).toBe(true);
      for (let d = 0; d <= 9; d++) {
        if (d === Number(n[13])) continue;
        expect(trackingProblem(n.slice(0, 13) + d), `${n} with ${d}`).toBe('checkDigit');
      }
    }
  });

  it('agrees with the GTIN-14 check digit written the other way round', () => {
    let seed = 7;
    for (let k = 0; k < 500; k++) {
      let body = '';
      for (let i = 0; i < 13; i++) body += String((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 10);
      expect(trackingCheckDigit(body), body).toBe(gtin14(body));
    }
  });

  it('catches a typed-over digit and a swap of two neighbouring digits', () => {
    expect(isValidTracking('10100085123352')).toBe(false);
    expect(isValidTracking('10100085213452')).toBe(false);
  });

  it('normalizes what people and receipts write: spaces, dashes, no-break spaces', () => {
    expect(normalizeTracking('101000 85 12345 2')).toBe('10100085123452');
    expect(normalizeTracking('101000-85-12345-2')).toBe('10100085123452');
    expect(normalizeTracking(' 101000\u00a085\u00a012345\u00a02 ')).toBe('10100085123452');
    expect(isValidTracking('101000 85 12345 2')).toBe(true);
    expect(normalizeTracking('1010008512345')).toBeNull();
    expect(normalizeTracking('RA123456789RU')).toBeNull();
    expect(normalizeTracking('')).toBeNull();
    expect(formatTracking('10100085123452')).toBe('101000 85 12345 2');
  });

  it('names the problem: letters, length, check digit', () => {
    expect(trackingProblem('RA123456789RU')).toBe('notDigits');
    expect(trackingProblem('1010008512345')).toBe('length');
    expect(trackingProblem('101000851234522')).toBe('length');
    expect(trackingProblem('10100085123453')).toBe('checkDigit');
    expect(trackingProblem('10100085123452')).toBeNull();
  });
});

describe('a pasted column of tracking numbers', () => {
  const paste = [
    '101000 85 12345 2', // 1
    '14530065012340\t2026-12-07\tИванов', // 2: a spreadsheet row, the number first
    '', // 3: blank, skipped
    '62001486000011', // 4: wrong check digit
    '6200148600001', // 5: 13 digits
    'RA123456789RU', // 6: international, letters
    '10100085123452', // 7: the first line again
    '   60300095123458   ', // 8
    '', // 9: the trailing newline
  ].join('\r\n');

  it('keeps the good numbers in order and reports each bad line with its number and reason', () => {
    const col = parseTrackingColumn(paste);
    expect(col.numbers).toEqual(['10100085123452', '14530065012340', '60300095123458']);
    expect(col.lines).toEqual([1, 2, 8]);
    expect(col.count).toBe(7);
    expect(col.invalid).toEqual([
      { line: 4, text: '62001486000011', reason: 'checkDigit' },
      { line: 5, text: '6200148600001', reason: 'length' },
      { line: 6, text: 'RA123456789RU', reason: 'notDigits' },
      { line: 7, text: '10100085123452', reason: 'duplicate', firstLine: 1 },
    ]);
  });

  it('reads a column with Unix and old Mac line ends alike', () => {
    expect(parseTrackingColumn('10100085123452\n14530065012340').numbers).toHaveLength(2);
    expect(parseTrackingColumn('10100085123452\r14530065012340').numbers).toHaveLength(2);
    expect(parseTrackingColumn('\n\n  \n')).toEqual({ numbers: [], lines: [], invalid: [], count: 0 });
  });

  it('says what is wrong on each line in Russian and in English', () => {
    const { invalid } = parseTrackingColumn(paste);
    const ru = trackingLineMessages(invalid, translator('ru'));
    expect(ru[0]).toBe('Строка 4 («62001486000011»): не сходится контрольная цифра — сверьте номер с квитанцией.');
    expect(ru[1]).toBe('Строка 5 («6200148600001»): в номере ШПИ должно быть 14 цифр.');
    expect(ru[3]).toBe('Строка 7 («10100085123452»): этот номер уже есть в строке 1.');
    const en = trackingLineMessages(invalid, translator('en'));
    expect(en[2]).toBe('Line 6 ("RA123456789RU"): a tracking number has digits only.');
    expect(translator('ru')('tracking.invalidLines', { count: 4 })).toBe('Не принято: 4 строки с ошибками. Исправьте их и вставьте столбец снова.');
    expect(translator('ru')('tracking.invalidLines', { count: 5 })).toContain('5 строк с ошибками');
    expect(translator('en')('tracking.invalidLines', { count: 1 })).toContain('1 line has an error');
  });
});
