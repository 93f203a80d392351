import { describe, expect, it } from 'vitest';
import { compareC, compareKeys } from './matched.js';

describe('compareC (the order PostgreSQL\'s C collation gives normalized keys)', () => {
  it('orders Cyrillic after Latin and digits, as UTF-8 bytes do', () => {
    const words = ['яблоко', 'abc', 'альфа', '123', 'бета', 'е', 'ж', '«кавычки»'];
    expect([...words].sort(compareC)).toEqual([...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it('puts characters beyond U+FFFF after U+E000…U+FFFF, unlike UTF-16 order', () => {
    const astral = '\u{1F600}';
    expect(compareC(astral, '\uFF01')).toBeGreaterThan(0);
    expect(astral < '\uFF01').toBe(true); // plain JavaScript comparison gets this wrong
    expect(compareC('а', 'аб')).toBeLessThan(0);
    expect(compareC('аб', 'аб')).toBe(0);
  });

  it('compares list keys field by field: no group last, then key, rank, name, id', () => {
    expect(compareKeys([false, 'я', 1, 'я', 9], [true, '', 0, 'а', 1])).toBeLessThan(0);
    expect(compareKeys([false, 'а', 1, 'а', 1], [false, 'а', 0, 'я', 2])).toBeGreaterThan(0);
    expect(compareKeys([false, 'а', 0, 'а', 1], [false, 'а', 0, 'а', 2])).toBeLessThan(0);
  });
});
