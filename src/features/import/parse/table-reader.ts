import { oneLine } from './common.js';
import { detectProfile, guessMapping, headerSignature, normalizeHeader, SINGLE_TARGETS, USER_TARGETS, type ColumnMapping, type ProfileId } from './profiles.js';
import { mapTableRecord, type TablePlan } from './table.js';
import { checkRowLimit, ParseError, type ContactRow, type FileProblem, type ParseLimits } from './types.js';

export type TableFormat = 'outlook-csv' | 'google-csv' | 'thunderbird-csv' | 'csv';

const FORMAT_OF: Record<ProfileId, TableFormat> = { outlook: 'outlook-csv', google: 'google-csv', thunderbird: 'thunderbird-csv' };

/** Rows of sample values the mapping step shows under each column. */
const SAMPLE_ROWS = 3;

/** What the mapping step needs of a table no profile knows (sent as JSON in ParseError.columns). */
export interface UnknownColumns {
  /** How the file was read: text encoding and delimiter (CSV) or sheet (spreadsheet). */
  encoding: string;
  delimiter: string | null;
  signature: string;
  headers: string[];
  samples: string[][];
  /** A spreadsheet: the sheet read and all the sheets with data. */
  sheet?: string;
  sheets?: string[];
}

/** A table's columns as the mapping step shows them. */
export interface TableColumns {
  signature: string;
  headers: string[];
  samples: string[][];
  /** The target of each column as read (null: not loaded). */
  mapping: (string | null)[];
}

export interface TableRead {
  format: TableFormat;
  headerLanguage: 'en' | 'ru' | 'de' | 'unknown';
  rows: ContactRow[];
  problems: FileProblem[];
  table: TableColumns;
  /** Read with a user's mapping (given, or remembered for this header). */
  mapped: boolean;
}

function isBlankRecord(f: string[]): boolean {
  for (const v of f) if (v.trim() !== '') return false;
  return true;
}

/**
 * The records of a table (CSV or spreadsheet), header first, as contacts. A header no profile knows
 * is read with the given mapping; without one, the reader collects a few sample rows and throws
 * 'not_outlook_csv' carrying the columns (`ParseError.columns`) for the mapping step.
 */
export class TableReader {
  private plan: TablePlan | null = null;
  private format: TableFormat = 'csv';
  private language: 'en' | 'ru' | 'de' | 'unknown' = 'unknown';
  private headerLine = 1;
  private sampling: UnknownColumns | null = null;
  /** The header line's columns, first values and the mapping read by (for the mapping step). */
  private table: TableColumns | null = null;
  private mapped = false;
  readonly rows: ContactRow[] = [];
  readonly problems: FileProblem[] = [];

  constructor(
    private readonly limits: ParseLimits | undefined,
    private readonly mapping: ColumnMapping | undefined,
    private readonly meta: { encoding: string; delimiter: string | null; sheet?: string; sheets?: string[] },
    /** Mappings the users gave before, by header signature: they win over the recognized format. */
    private readonly saved: Record<string, ColumnMapping> = {},
  ) {}

  push(line: number, fields: string[]): void {
    if (this.plan === null && this.sampling === null) {
      this.header(line, fields);
      return;
    }
    if (isBlankRecord(fields)) return; // e.g. ";;;;" lines left by Excel
    if (this.table && this.table.samples.length < SAMPLE_ROWS) this.table.samples.push(fields.slice(0, this.table.headers.length).map((v) => oneLine(v).slice(0, 100)));
    if (this.sampling) {
      this.sampling.samples.push(fields.slice(0, this.sampling.headers.length).map((v) => oneLine(v).slice(0, 100)));
      if (this.sampling.samples.length >= SAMPLE_ROWS) this.unknown();
      return;
    }
    const plan = this.plan as TablePlan;
    checkRowLimit(this.rows.length, this.limits, line);
    const row = mapTableRecord(plan, line, fields);
    if (fields.length > plan.headers.length && !isBlankRecord(fields.slice(plan.headers.length))) {
      row.problems.unshift({ code: 'extra_fields', detail: `${fields.length}/${plan.headers.length}` });
    }
    this.rows.push(row);
  }

  private header(line: number, fields: string[]): void {
    this.headerLine = line;
    const seen = new Set<string>();
    for (const raw of fields) {
      const h = normalizeHeader(raw);
      if (h === '') continue;
      if (seen.has(h)) this.problems.push({ code: 'duplicate_column', detail: oneLine(raw), line });
      seen.add(h);
    }
    const headers = fields.map((h) => oneLine(h));
    const signature = headerSignature(fields);
    const user = this.mapping ?? this.saved[signature];
    const detected = user ? null : detectProfile(fields);
    const use = (mapping: ColumnMapping) => (this.table = { signature, headers, samples: [], mapping: headers.map((_, i) => mapping[i]?.to ?? null) });
    if (user) {
      this.plan = { headers, mapping: user, profile: null };
      this.mapped = true;
      use(user);
      return;
    }
    if (detected) {
      this.plan = { headers, mapping: detected.mapping, profile: detected.profile };
      this.format = FORMAT_OF[detected.profile];
      this.language = detected.language ?? 'unknown';
      // What the mapping step would start from, should the user correct the format's mapping: the
      // format's own targets, and a guess by name for the columns it has no place for.
      const own = headers.map((_, i) => {
        const t = detected.mapping[i];
        return t && USER_TARGETS.includes(t.to) ? t.to : null;
      });
      const guess = guessMapping(fields);
      use(own.map((to, i) => {
        const g = guess[i]?.to;
        if (to) return { to };
        return g && !(SINGLE_TARGETS.has(g) && own.includes(g)) && !detected.mapping[i] ? { to: g } : null;
      }));
      return;
    }
    // A line with fewer than two named columns is no table of contacts at all: refused outright.
    if (seen.size < 2) throw new ParseError('not_outlook_csv', { line });
    this.sampling = { ...this.meta, signature, headers, samples: [] };
  }

  private unknown(): never {
    throw new ParseError('not_outlook_csv', { line: this.headerLine, columns: JSON.stringify(this.sampling) });
  }

  finish(): TableRead {
    if (this.sampling) this.unknown();
    if (this.plan === null) throw new ParseError('empty');
    return { format: this.format, headerLanguage: this.language, rows: this.rows, problems: this.problems, table: this.table as TableColumns, mapped: this.mapped };
  }
}
