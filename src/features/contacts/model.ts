import { decodeJsonCursor, encodeJsonCursor, isRowId, isSortKey } from '../../lib/keyset.js';
import { MAX_ID } from '../../lib/schemas.js';
import type { RowKey } from './types.js';

/** Organizations on a page unless the URL asks for another size (5–200). */
export const PAGE_SIZE = 50;
/** Person cards shown for the chosen organization. */
export const CARDS_LIMIT = 100;

/** A page size from the URL, within bounds. */
export function pageSize(v: string | undefined): number {
  return Math.min(200, Math.max(5, Number(v) || PAGE_SIZE));
}

const isRowKey = (v: unknown): v is RowKey =>
  Array.isArray(v) && v.length === 5 && typeof v[0] === 'boolean' && isSortKey(v[1]) &&
  Number.isInteger(v[2]) && Math.abs(v[2]) <= MAX_ID && isSortKey(v[3]) && isRowId(v[4]);

/** A row's place in the list as the cursor its pager links carry. */
export const encodeCursor = (key: RowKey): string => encodeJsonCursor(key);

/** A cursor from the URL; anything malformed means "first page", never an error. */
export const decodeCursor = (s: string | undefined): RowKey | null => decodeJsonCursor(s, isRowKey);
