/**
 * Common output types of the contacts-file parsers (Outlook CSV and vCard).
 *
 * Everything here is machine-readable: problem codes, never user-facing text. The caller
 * (import UI) translates codes into messages.
 */

export interface Address {
  index: string;
  country: string;
  region: string;
  locality: string;
  street: string;
}

export type PhoneKind = 'work' | 'mobile' | 'fax' | 'home' | 'other';

export interface Phone {
  kind: PhoneKind;
  number: string;
}

export interface RowProblem {
  code: string;
  detail?: string;
}

export interface ContactRow {
  /** Source line (CSV record start) or card start line (vCard `BEGIN:VCARD`), 1-based. */
  line: number;
  /** CSV: Last Name / First Name / Middle Name; vCard: N family;given;additional. */
  surname: string;
  firstName: string;
  patronymic: string;
  company: string;
  department: string;
  jobTitle: string;
  businessAddress: Address | null;
  homeAddress: Address | null;
  phones: Phone[];
  /** Up to three, SMTP only; EX / X.500 entries are skipped with a problem. */
  emails: string[];
  /** Trimmed, deduplicated (case-insensitively, first spelling kept). */
  categories: string[];
  notes: string;
  gender: 'unspecified' | 'male' | 'female';
  webPage: string;
  photo: { bytes: Buffer; mime: string } | null;
  /** Machine codes, e.g. 'exchange_email_skipped', 'no_name'. */
  problems: RowProblem[];
  /** Non-empty source values with no place to go: column (or vCard property) and value. */
  dropped?: { column: string; value: string }[];
  /** What `dropped` names: a table's columns, or a vCard's properties. */
  droppedFrom?: 'columns' | 'properties';
}

/** A problem about the file as a whole (not tied to one contact). */
export interface FileProblem {
  code: string;
  detail?: string;
  line?: number;
}

export type TextEncodingName =
  | 'utf-8'
  | 'utf-8-bom'
  | 'utf-16le'
  | 'utf-16be'
  | 'windows-1250'
  | 'windows-1251'
  | 'windows-1252';

export type ParseErrorCode =
  /** Zero bytes, or only whitespace / a BOM. */
  | 'empty'
  /** The header line is none of the known formats' (and no mapping was given for it). */
  | 'not_outlook_csv'
  /** A spreadsheet that cannot be read: corrupt, encrypted, too big when unpacked, no sheet. */
  | 'xlsx_corrupt'
  | 'xlsx_encrypted'
  | 'xlsx_too_big'
  | 'xlsx_no_sheet'
  /** A quoted CSV field never closes, or its closing quote is followed by text. */
  | 'unterminated_quote'
  /** A vCard has BEGIN:VCARD but no matching END:VCARD. */
  | 'vcard_unterminated'
  /** Binary content (NUL bytes outside UTF-16, control characters, archives...). */
  | 'not_a_contacts_file'
  /** More contacts than `ParseLimits.maxRows`: reading stopped at the first one over. */
  | 'too_many_rows';

/** Bounds on what a parser reads before it gives up on the file. */
export interface ParseLimits {
  /** Most contacts in one file; the parser stops at the first one beyond. */
  maxRows?: number;
}

/** Throws 'too_many_rows' once `count` contacts exceed the limit (call it before adding one). */
export function checkRowLimit(count: number, limits: ParseLimits | undefined, line: number): void {
  if (limits?.maxRows !== undefined && count >= limits.maxRows) throw new ParseError('too_many_rows', { line });
}

/** A fatal problem: the file as a whole cannot be imported. */
export class ParseError extends Error {
  readonly code: ParseErrorCode;
  /** 1-based line where the problem starts, when it has one. */
  readonly line: number | undefined;
  /** Machine-readable refinement of `code` (e.g. 'eof', 'text_after_closing_quote', 'zip'). */
  readonly detail: string | undefined;
  /** 'not_outlook_csv' of a table: its columns and sample rows as JSON (see `UnknownColumns`). */
  readonly columns: string | undefined;

  constructor(code: ParseErrorCode, options: { line?: number; detail?: string; columns?: string } = {}) {
    super(
      `${code}${options.line !== undefined ? ` at line ${options.line}` : ''}${
        options.detail !== undefined ? ` (${options.detail})` : ''
      }`,
    );
    this.name = 'ParseError';
    this.code = code;
    this.line = options.line;
    this.detail = options.detail;
    this.columns = options.columns;
  }
}

export function emptyRow(line: number): ContactRow {
  return {
    line,
    surname: '',
    firstName: '',
    patronymic: '',
    company: '',
    department: '',
    jobTitle: '',
    businessAddress: null,
    homeAddress: null,
    phones: [],
    emails: [],
    categories: [],
    notes: '',
    gender: 'unspecified',
    webPage: '',
    photo: null,
    problems: [],
  };
}
