import { readdirSync, readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parseUpload, type UploadHead } from '../../src/features/import/parse-upload.js';
import { decodeText } from '../../src/features/import/parse/decode.js';
import { detectDelimiter, parseCsv } from '../../src/features/import/parse/csv.js';
import { detectProfile, isPlaceholder, type ColumnMapping, type ProfileId } from '../../src/features/import/parse/profiles.js';
import { decodeQuotedPrintable, unfoldCard } from '../../src/features/import/parse/vcard.js';
import type { DraftRow } from '../../src/features/import/types.js';

/**
 * Issue 19's rule, over every fixture: each non-empty value of the input is either stored (it is
 * in what the row will write) or reported (in the row's problems or the file's). The input is read
 * here independently of the import's own mapping: every cell of a table, every property of a card.
 * A value counts as found when each of its words (letters and digits) is in the stored row or in
 * a report. Exempt: a format's placeholders ("False", "Normal", "0.0.00"), type columns that only
 * qualify their neighbour ("SMTP", "Mobile"), Google's system labels, vCard structure (VERSION,
 * PRODID, BEGIN…), and codes standing for a stored value (gender).
 */
const dir = new URL('../../src/features/import/parse/__fixtures__/', import.meta.url);
const files = readdirSync(dir).filter((f) => /\.(csv|vcf|xlsx)$/.test(f));

const words = (v: string) => v.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? [];

async function parse(name: string) {
  const bytes = new Uint8Array(readFileSync(new URL(name, dir)));
  const rows: DraftRow[] = [];
  const head: UploadHead = await parseUpload({ bytes, name, maxRows: 10_000 }, (p) => rows.push(...p.rows));
  return { head, rows };
}

function haystack(row: DraftRow | undefined, head: UploadHead): string {
  const fileReports = (head.details.problems ?? []).map((p) => p.detail ?? '').join(' ');
  if (!row) return fileReports.toLowerCase();
  return [JSON.stringify(row.data), ...row.problems.map((p) => p.detail ?? ''), fileReports].join(' ').toLowerCase();
}

interface Cell {
  line: number;
  column: string;
  value: string;
}

function missing(cells: Cell[], rows: DraftRow[], head: UploadHead): string[] {
  const byLine = new Map(rows.map((r) => [r.line, r]));
  const out: string[] = [];
  for (const c of cells) {
    const hay = haystack(byLine.get(c.line), head);
    const lost = words(c.value).filter((w) => !hay.includes(w));
    if (lost.length) out.push(`line ${c.line}, ${c.column}: "${c.value}" (${lost.join(', ')})`);
  }
  return out;
}

/** Cells of a table that carry a value of their own (not a placeholder, a type word or a system label). */
function tableCells(records: { line: number; fields: string[] }[]): Cell[] {
  const headerAt = records.findIndex((r) => r.fields.filter((f) => f.trim() !== '').length >= 2);
  const header = records[headerAt].fields;
  const detected = detectProfile(header);
  const profile: ProfileId | null = detected?.profile ?? null;
  const mapping: ColumnMapping = detected?.mapping ?? [];
  const cells: Cell[] = [];
  for (const r of records.slice(headerAt + 1)) {
    r.fields.forEach((raw, i) => {
      const v = raw.trim();
      const target = mapping[i]?.to;
      if (isPlaceholder(profile, v) || target === 'type' || target === 'gender') return;
      const value = target === 'groups' ? v.replace(/\*?\s*(myContacts|starred)/gi, '') : v;
      cells.push({ line: r.line, column: header[i] ?? `#${i + 1}`, value });
    });
  }
  return cells;
}

function csvCells(buf: Buffer): Cell[] {
  const { text } = decodeText(buf);
  return tableCells(parseCsv(text, detectDelimiter(text)));
}

async function xlsxCells(buf: Buffer, sheet: string): Promise<Cell[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  const ws = wb.getWorksheet(sheet)!;
  const records: { line: number; fields: string[] }[] = [];
  ws.eachRow((row, number) => {
    const fields: string[] = [];
    for (let i = 1; i <= ws.columnCount; i++) {
      const cell = row.getCell(i);
      // A merged range holds its value once, in its top-left cell; a date, as the day it is.
      if (cell.isMerged && cell.master !== cell) fields.push('');
      else if (cell.value instanceof Date) fields.push(cell.value.toISOString().slice(0, 10));
      else fields.push(cell.text ?? '');
    }
    records.push({ line: number, fields });
  });
  return tableCells(records);
}

// Images are checked by their own tests (stored, or refused with a problem: 'photo_rejected', 'logo_skipped').
const VCARD_STRUCTURE = new Set(['BEGIN', 'END', 'VERSION', 'PRODID', 'REV', 'UID', 'KIND', 'X-MAILER', 'PHOTO', 'LOGO', 'X-WAB-GENDER', 'GENDER', 'X-GENDER', 'LABEL']);

function vcardCells(buf: Buffer, head: UploadHead): Cell[] {
  // The charset the file's undeclared 8-bit text was read in (the fixtures each have one).
  const fileCharset = head.details.charsets?.find((c) => c.how === 'statistics')?.charset ?? 'windows-1251';
  const lines = buf.toString('latin1').split(/\r\n|\n/);
  const cells: Cell[] = [];
  let start = -1;
  let card: string[] = [];
  let numbers: number[] = [];
  lines.forEach((l, i) => {
    if (/^BEGIN:VCARD$/i.test(l.trim())) {
      start = i + 1;
      card = [];
      numbers = [];
    } else if (/^END:VCARD$/i.test(l.trim())) {
      const version = card.find((c) => /^VERSION:/i.test(c))?.slice(8).trim() ?? '3.0';
      for (const p of unfoldCard(card, numbers, version)) {
        if (VCARD_STRUCTURE.has(p.name)) continue;
        const qp = (p.params.get('ENCODING')?.[0] ?? '').toUpperCase() === 'QUOTED-PRINTABLE';
        const bytes = qp ? decodeQuotedPrintable(p.raw) : Buffer.from(p.raw, 'latin1');
        const charset = p.params.get('CHARSET')?.[0] ?? (isUtf8(bytes) ? 'utf-8' : fileCharset);
        const value = new TextDecoder(charset).decode(bytes).replace(/\\[nN]/g, ' ');
        cells.push({ line: start, column: p.name, value });
      }
    } else {
      card.push(l);
      numbers.push(i + 1);
    }
  });
  return cells;
}

describe('nothing is dropped silently: every fixture value is stored or reported', () => {
  it('has fixtures of every kind', () => {
    expect(files.filter((f) => f.endsWith('.csv')).length).toBeGreaterThanOrEqual(5);
    expect(files.filter((f) => f.endsWith('.vcf')).length).toBeGreaterThanOrEqual(4);
    expect(files.filter((f) => f.endsWith('.xlsx')).length).toBeGreaterThanOrEqual(2);
  });

  for (const name of files) {
    it(name, async () => {
      const buf = readFileSync(new URL(name, dir));
      const { head, rows } = await parse(name);
      expect(rows.length).toBeGreaterThan(0);
      const cells = name.endsWith('.csv') ? csvCells(buf) : name.endsWith('.xlsx') ? await xlsxCells(buf, head.details.sheet!) : vcardCells(buf, head);
      expect(cells.length).toBeGreaterThan(0);
      expect(missing(cells, rows, head)).toEqual([]);
    });
  }
});
