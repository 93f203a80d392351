import type { Locale } from '../../db/schema/users.js';

/** Registration and sender dates outside these years are typing errors (20260 for 2026). */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2100;

/**
 * A calendar date as typed: ISO `2026-03-15` (what <input type=date> sends) or Russian
 * `15.03.2026` (typed where there is no date picker). Returns ISO, or null when it is not a real
 * date between MIN_YEAR and MAX_YEAR (31.02, year 20260, …).
 */
export function parseDate(raw: string): string | null {
  const s = raw.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const ru = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
  if (!iso && !ru) return null;
  const [year, month, day] = iso ? [Number(iso[1]), Number(iso[2]), Number(iso[3])] : [Number(ru![3]), Number(ru![2]), Number(ru![1])];
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return null;
  // Date.UTC rolls 31.02 over into March; a real date survives the round trip.
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Today in the server's time zone, as ISO: the default registration date. */
export function todayIso(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

export function yearOf(iso: string): number {
  return Number(iso.slice(0, 4));
}

/** Shows an ISO date in the user's language (15.03.2026 / 3/15/2026); no time zone shift. */
export function dateFormatter(locale: Locale): (iso: string | null | undefined) => string {
  const f = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeZone: 'UTC' });
  return (iso) => (iso ? f.format(new Date(`${iso}T00:00:00Z`)) : '');
}
