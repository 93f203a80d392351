import type { Db } from '../../db/client.js';
import { cleanText, normalizeKey } from '../../lib/text.js';
import { choiceById, matchingChoices, type Choice, type ChoiceKind } from './queries.js';

/** How many matches a picker offers at once; typing narrows them. */
export const PICKER_LIMIT = 50;

/** What the blank first option says: "—" (none) or "any" (a filter). */
export type PickerBlank = 'none' | 'any';

/**
 * A select of organizations or persons with a search box beside it (views/partials/picker.eta).
 * The select is named `field`, the search box `${field}_find`, so a form without JavaScript
 * posts the text too and comes back with the select holding its matches.
 */
export interface Picker {
  kind: ChoiceKind;
  field: string;
  find: string;
  selected: number | null;
  blank: PickerBlank;
  choices: Choice[];
  /** More matched than are shown. */
  more: boolean;
  /** The text matched nothing. */
  nothing: boolean;
  limit: number;
}

const positiveId = (v: unknown) => {
  const s = typeof v === 'number' ? String(v) : cleanText(v);
  return /^\d{1,9}$/.test(s) && Number(s) > 0 ? Number(s) : null;
};

/**
 * The first PICKER_LIMIT matches of `find` (the first in alphabetical order without it), and the
 * selected one too, first after the blank, when it is not among them (even when archived).
 */
export async function loadPicker(
  db: Db,
  kind: ChoiceKind,
  field: string,
  opts: { find?: unknown; selected?: unknown; blank?: PickerBlank } = {},
): Promise<Picker> {
  const find = cleanText(opts.find).slice(0, 200);
  const selected = positiveId(opts.selected);
  const matches = await matchingChoices(db, kind, normalizeKey(find), PICKER_LIMIT + 1);
  const more = matches.length > PICKER_LIMIT;
  const choices = matches.slice(0, PICKER_LIMIT);
  if (selected && !choices.some((c) => c.id === selected)) {
    const current = await choiceById(db, kind, selected);
    if (current) choices.unshift(current);
  }
  return { kind, field, find, selected, blank: opts.blank ?? 'none', choices, more, nothing: find !== '' && matches.length === 0, limit: PICKER_LIMIT };
}
