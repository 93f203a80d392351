import type { Static } from 'typebox';
import { IdText, Query, SafeText, Type, Word } from '../../lib/schemas.js';
import { DIRECTIONS, type Direction } from '../../db/schema/documents.js';
import type { Locale } from '../../db/schema/users.js';
import type { Translate } from '../../i18n/index.js';
import type { FieldErrors } from '../../lib/errors.js';
import { pageMode, type PageMode } from '../../lib/keyset.js';
import { cleanText, normalizeKey } from '../../lib/text.js';
import { dateFormatter, parseDate } from './dates.js';
import type { DocumentCursor, DocumentFilter } from './queries.js';

export const PAGE_SIZE = 50;

/** The list's URL parameters: filters, and the keyset position (after / before / page=last). */
// A cursor as our links write it (`2026-01-31_123`): letters, digits, `_` and `-` only, at most 40;
// its date and id are checked where it is decoded, and anything else there means the first page.
const DocCursor = Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9_-]*$' });
export const ListQuery = Query({
  direction: Word(20),
  from: SafeText(20),
  to: SafeText(20),
  organization: IdText(),
  /** The organization picker's search box: the select offers its matches (no JavaScript). */
  organization_find: SafeText(500),
  person: IdText(),
  q: SafeText(500),
  after: DocCursor,
  before: DocCursor,
  page: Word(10),
});
export type ListQueryT = Static<typeof ListQuery>;

/** The filter as the form shows it (what the user typed), beside what the query uses. */
export interface ParsedList {
  form: { direction: string; from: string; to: string; organization: string; person: string; q: string };
  filter: DocumentFilter;
  errors: FieldErrors;
  mode: PageMode;
  cursor: DocumentCursor | null;
}

export function encodeCursor(row: { regDate: string; id: number }): string {
  return `${row.regDate}_${row.id}`;
}

/** A cursor from the URL; anything malformed means "first page", never an error. */
export function decodeCursor(s: string | undefined): DocumentCursor | null {
  const m = s ? /^(\d{4}-\d{2}-\d{2})_(\d{1,10})$/.exec(s) : null;
  if (!m || !parseDate(m[1]) || Number(m[2]) > 2147483647) return null;
  return { regDate: m[1], id: Number(m[2]) };
}

const positiveId = (s: string) => (/^\d{1,9}$/.test(s) && Number(s) > 0 ? Number(s) : null);

/** Reads the filters; a bad date is reported on its field and left out of the query. */
export function parseListQuery(q: ListQueryT): ParsedList {
  const form = {
    direction: (DIRECTIONS as readonly string[]).includes(q.direction ?? '') ? (q.direction as Direction) : '',
    from: cleanText(q.from),
    to: cleanText(q.to),
    organization: cleanText(q.organization),
    person: cleanText(q.person),
    q: cleanText(q.q),
  };
  const errors: FieldErrors = {};
  const date = (field: 'from' | 'to') => {
    if (!form[field]) return null;
    const iso = parseDate(form[field]);
    if (!iso) errors[field] = { key: 'documents.badDate' };
    return iso;
  };
  const filter: DocumentFilter = {
    direction: (form.direction || null) as Direction | null,
    from: date('from'),
    to: date('to'),
    organizationId: positiveId(form.organization),
    personId: positiveId(form.person),
    text: normalizeKey(form.q),
  };
  const cursor = decodeCursor(q.after ?? q.before);
  return { form, filter, errors, mode: pageMode(q, cursor), cursor };
}

/** Date and size formatting for the templates, in the user's language. */
export function viewHelpers(locale: Locale, t: Translate) {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    fmtDate: dateFormatter(locale),
    fmtSize: (n: number) =>
      n < 1024 ? t('documents.size.bytes', { count: n }) : n < 1024 * 1024 ? t('documents.size.kb', { n: round(n / 1024) }) : t('documents.size.mb', { n: round(n / 1024 / 1024) }),
  };
}
