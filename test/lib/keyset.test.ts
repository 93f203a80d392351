import { describe, expect, it } from 'vitest';
import { decodeJsonCursor, encodeJsonCursor, isRowId, isSortKey, linkBuilder, pageMode, pagerLinks } from '../../src/lib/keyset.js';

const isPair = (v: unknown): v is [string, number] => Array.isArray(v) && v.length === 2 && isSortKey(v[0]) && isRowId(v[1]);

describe('keyset paging', () => {
  it('reads back the cursors it writes, and anything else as the first page', () => {
    expect(decodeJsonCursor(encodeJsonCursor(['иванов', 7]), isPair)).toEqual(['иванов', 7]);
    const hostile = [undefined, '', '!!', 'e30', encodeJsonCursor(['a\u0000', 1]), encodeJsonCursor(['x'.repeat(1001), 1]), encodeJsonCursor(['a', -1]), encodeJsonCursor(['a', 2 ** 31]), encodeJsonCursor(['a', 1.5]), 42];
    for (const s of hostile) expect(decodeJsonCursor(s, isPair)).toBeNull();
  });

  it('takes the page asked for: last, after or before a valid cursor, else the first', () => {
    expect(pageMode({ page: 'last', after: 'x' }, ['a', 1])).toBe('last');
    expect(pageMode({ after: 'x' }, ['a', 1])).toBe('next');
    expect(pageMode({ before: 'x' }, ['a', 1])).toBe('prev');
    expect(pageMode({ after: 'x' }, null)).toBe('first');
  });

  it('keeps the view in its links and changes one thing', () => {
    const link = linkBuilder('/list', { sort: 'date', q: '', former: undefined, org: '5' }, ['org']);
    expect(link()).toBe('/list?sort=date');
    expect(link({ after: 'c', sort: undefined })).toBe('/list?after=c');
    expect(link({ sort: 'name', page: '' })).toBe('/list?sort=name');
    expect(linkBuilder('/list', {})()).toBe('/list');
  });

  it('opens only the ways the page can go', () => {
    const link = (extra: Record<string, string | undefined>) => linkBuilder('/l', {})(extra);
    const rows = [{ id: 1 }, { id: 2 }];
    const middle = pagerLinks({ rows, hasPrev: true, hasNext: true }, link, (r) => String(r.id), { prev: { from: '1' }, next: { from: undefined } });
    expect(middle).toEqual({ first: '/l', prev: '/l?before=1&from=1', next: '/l?after=2', last: '/l?page=last' });
    expect(pagerLinks({ rows, hasPrev: false, hasNext: true }, link, (r) => String(r.id), { last: false })).toEqual({ first: null, prev: null, next: '/l?after=2', last: null });
    expect(pagerLinks({ rows: [], hasPrev: true, hasNext: true }, link, (r: { id: number }) => String(r.id))).toEqual({ first: '/l', prev: null, next: null, last: '/l?page=last' });
  });
});
