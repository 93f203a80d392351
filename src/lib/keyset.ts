import { MAX_ID } from './schemas.js';

/**
 * Keyset paging, one way for every list: a page is read after or before the key of a row (the
 * cursor its links carry) or from either end, so its cost does not grow with its number. A
 * cursor is opaque to the user and checked where it is decoded: anything malformed means the
 * first page, never an error.
 */
export type PageMode = 'first' | 'next' | 'prev' | 'last';

/** A key as a cursor: its JSON in base64url (URL-safe, within lib/schemas Cursor). */
export function encodeJsonCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** A cursor written by encodeJsonCursor, if it decodes to a key that `valid` accepts. */
export function decodeJsonCursor<K>(s: unknown, valid: (v: unknown) => v is K): K | null {
  if (typeof s !== 'string' || !s) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (valid(v)) return v;
  } catch {
    // a malformed cursor means the first page
  }
  return null;
}

/** A cursor's text part is a sort key: bounded, no control characters (NUL breaks PostgreSQL text). */
export const isSortKey = (s: unknown): s is string => typeof s === 'string' && s.length <= 1000 && !/[\u0000-\u001f\u007f]/.test(s);

/** A cursor's row id: a whole number the database's ids can hold. */
export const isRowId = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_ID;

/** The page a request asks for: page=last, after or before a (valid) cursor, else the first. */
export function pageMode(q: { after?: string; before?: string; page?: string }, cursor: unknown): PageMode {
  return q.page === 'last' ? 'last' : cursor ? (q.after ? 'next' : 'prev') : 'first';
}

export type LinkParams = Record<string, string | undefined>;

/**
 * Links that keep a list's view and change one thing: `link({ after: … })`. Empty kept values are
 * left out; an extra value that is undefined or empty removes its parameter.
 */
export function linkBuilder(base: string, kept: LinkParams, omit: string[] = []): (extra?: LinkParams) => string {
  const keep: Record<string, string> = {};
  for (const [k, v] of Object.entries(kept)) if (v && !omit.includes(k)) keep[k] = v;
  return (extra = {}) => {
    const u = new URLSearchParams(keep);
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined || v === '') u.delete(k);
      else u.set(k, v);
    }
    const s = u.toString();
    return s ? `${base}?${s}` : base;
  };
}

/** Where a list stands: "51–100 of 230" (views/partials/pager.eta). */
export interface PagerPosition {
  from: number | null;
  to: number | null;
  total: number;
  /** The total is a lower bound ("more than"). */
  more: boolean;
}

/** The pager's links (null: that way is closed) as views/partials/pager.eta draws them. */
export interface Pager {
  first: string | null;
  prev: string | null;
  next: string | null;
  last: string | null;
  position?: PagerPosition | null;
}

/**
 * The four links of a page of `rows`: the first page, before its first row, after its last row,
 * and the last page (`last: false` for a list that cannot read from its end). `prev` and `next`
 * add their own parameters (e.g. the position the page starts at).
 */
export function pagerLinks<R>(
  page: { rows: R[]; hasPrev: boolean; hasNext: boolean },
  link: (extra: LinkParams) => string,
  cursorOf: (row: R) => string,
  opts: { last?: boolean; prev?: LinkParams; next?: LinkParams } = {},
): Pager {
  const first = page.rows[0];
  const last = page.rows[page.rows.length - 1];
  return {
    first: page.hasPrev ? link({}) : null,
    prev: page.hasPrev && first !== undefined ? link({ before: cursorOf(first), ...opts.prev }) : null,
    next: page.hasNext && last !== undefined ? link({ after: cursorOf(last), ...opts.next }) : null,
    last: opts.last !== false && page.hasNext ? link({ page: 'last' }) : null,
  };
}
