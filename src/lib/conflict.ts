import { createHash } from 'node:crypto';
import { SafeText } from './schemas.js';

/** How a field's value reads on the 409 page ('' when empty); the comparison uses the same text. */
export type ShowValue = (field: string, value: unknown) => string;

export const plainValue: ShowValue = (_f, v) => (v === null || v === undefined ? '' : String(v));

/** The edit form's `base` field: a fingerprint of each value as the form was opened (bounded, whatever the values). */
export const BaseField = SafeText(4000);

const fingerprint = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 12);

/**
 * The `base` an edit form carries: what each field held when the user opened the form, so that a
 * stale save (409) can tell the fields another user changed from the ones this user changed.
 */
export function formBase(stored: Record<string, unknown>, fields: readonly string[], show: ShowValue = plainValue): string {
  return fields.map((f) => `${f}:${fingerprint(show(f, stored[f]))}`).join(' ');
}

/**
 * The fields a 409 page shows: those another user changed since the form was opened (the stored
 * value is no longer the form's base) and where the stored value and the user's differ. Without a
 * readable base (an old form), every field that differs.
 */
export function conflictingFields<F extends string>(
  fields: readonly F[],
  stored: Record<string, unknown>,
  mine: Record<string, unknown>,
  base: unknown,
  show: ShowValue = plainValue,
): F[] {
  const was = new Map<string, string>();
  if (typeof base === 'string') {
    for (const part of base.split(' ')) {
      const i = part.indexOf(':');
      if (i > 0) was.set(part.slice(0, i), part.slice(i + 1));
    }
  }
  return fields.filter((f) => {
    const theirs = show(f, stored[f]);
    if (theirs === show(f, mine[f])) return false;
    const before = was.get(f);
    return before === undefined || before !== fingerprint(theirs);
  });
}
