import { describe, expect, it } from 'vitest';
import { parseSelectionOrg } from '../../src/lib/search/selection.js';

describe('parseSelectionOrg', () => {
  it('reads none, or an id in plain digits within the database ids', () => {
    expect(parseSelectionOrg('none')).toBe('none');
    expect(parseSelectionOrg('1')).toBe(1);
    expect(parseSelectionOrg('1000000000')).toBe(1000000000);
    expect(parseSelectionOrg('2147483647')).toBe(2147483647);
  });

  it('reads anything else as any organization', () => {
    for (const v of [undefined, null, '', '0', '-1', '2147483648', '99999999999', '1e3', '0x10', ' 1', '1.5', '01', 'Infinity', 'NaN', 7, ['1']]) {
      expect(parseSelectionOrg(v), String(v)).toBeNull();
    }
  });
});
