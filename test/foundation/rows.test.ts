import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.js';

describe('rowsOf', () => {
  it('passes rows that fit their shape, nulls only where allowed', () => {
    const result = { rows: [{ id: 1, n: '12', at: null, mark: 'priority', photo: Buffer.from([1, 2]), ids: [1, 2] }] };
    const list = rowsOf(result, { id: 'number', n: 'numeric', at: 'date?', mark: ['none', 'priority', 'warning'], photo: 'bytes', ids: 'number[]' }, 'test');
    expect(list).toBe(result.rows);
    expect(rowsOf({ rows: [{ photo: new Uint8Array([1]) }] }, { photo: 'bytes' }, 'test')).toHaveLength(1);
  });

  it('stops at a column missing, of another type, or outside its list, naming the query', () => {
    expect(() => rowsOf({ rows: [{ id: '1' }] }, { id: 'number' }, 'q1')).toThrow('q1: row 0 column id is string, expected number');
    expect(() => rowsOf({ rows: [{}] }, { name: 'string' }, 'q2')).toThrow('q2: row 0 column name is undefined');
    expect(() => rowsOf({ rows: [{ at: null }] }, { at: 'date' }, 'q3')).toThrow('q3: row 0 column at is null, expected date');
    expect(() => rowsOf({ rows: [{ mark: 'other' }] }, { mark: ['none', 'priority'] }, 'q4')).toThrow('q4: row 0 column mark is "other", expected one of none, priority');
    expect(() => rowsOf({ rows: [{ photo: 'abc' }] }, { photo: 'bytes' }, 'q5')).toThrow('q5: row 0 column photo is string, expected bytes');
    expect(() => rowsOf({}, { id: 'number' }, 'q6')).toThrow('q6: the result has no rows');
  });
});
