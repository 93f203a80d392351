import { describe, expect, it } from 'vitest';
import { DENSE_ORGS, denseThreshold } from './dense.js';

describe('the walk threshold (a common name walked, a rarer one collected)', () => {
  it('is DENSE_ORGS in a small directory and 5 % of a large one, rounded down to one digit', () => {
    expect(denseThreshold(0)).toBe(DENSE_ORGS);
    expect(denseThreshold(1_270)).toBe(DENSE_ORGS);
    expect(denseThreshold(20_200)).toBe(DENSE_ORGS);
    expect(denseThreshold(60_000)).toBe(3_000);
    expect(denseThreshold(202_000)).toBe(10_000);
    expect(denseThreshold(2_020_000)).toBe(100_000);
  });
});
