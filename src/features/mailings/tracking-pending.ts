/**
 * PLACEHOLDER until branch `form103` merges: that branch owns `tracking.ts` (the ШПИ validator).
 * The merger deletes this file and points the one import of it (mailings/track.ts) at './tracking.js'.
 * Only the interface agreed for tracking.ts is used: normalizeTracking and isValidTracking.
 */
export function normalizeTracking(s: string): string | null {
  const d = s.replace(/[\s\u00a0\u2007\u202f\-\u2010-\u2015.]/g, '');
  return /^\d{14}$/.test(d) ? d : null;
}

export function isValidTracking(s: string): boolean {
  const d = normalizeTracking(s);
  if (!d) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += (d.charCodeAt(i) - 48) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10 === d.charCodeAt(13) - 48;
}
