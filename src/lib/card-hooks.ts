import type { Db, Tx } from '../db/client.js';

export type CardKind = 'person' | 'organization';

/** Another card that may be the same person or organization, for the card's hint. */
export interface CardHint {
  otherId: number;
  name: string;
  reasons: string[];
  score: number;
}

type Saved = (db: Db, id: number) => Promise<void>;
type SavedMany = (db: Db, ids: number[]) => Promise<void>;
type Hints = (db: Db | Tx, id: number) => Promise<CardHint[]>;

/** A section another feature adds to a card: its template (a views/ path) and that template's data. */
export interface CardSection {
  view: string;
  data: Record<string, unknown>;
}
type Sections = (db: Db, id: number) => Promise<CardSection | null>;

/** What the card page is showing: the person card's tab (the organization card has none). */
export interface CardView {
  tab?: string;
}
/** Values another feature adds to a card page's data (its document counts, group badges, persons). */
type Facts = (db: Db, id: number, view: CardView) => Promise<Record<string, unknown>>;

/** What a feature hooks onto one kind of card; each part optional. */
export interface CardHooks {
  saved?: Saved;
  savedMany?: SavedMany;
  hints?: Hints;
  sections?: Sections;
  facts?: Facts;
}

/**
 * Features that watch persons and organizations (the duplicate finder) or show their own data on
 * a card page (correspondence, groups, mailings; persons on an organization's card) register here
 * at startup (features/index.ts), so the persons and organizations features call them without
 * importing them: a card saved, archived or restored is re-checked, and its page asks for hints,
 * facts and sections.
 */
export function registerCardHooks(kind: CardKind, hooks: CardHooks): void {
  if (hooks.saved) cardHooks.saved[kind].push(hooks.saved);
  if (hooks.savedMany) cardHooks.savedMany[kind].push(hooks.savedMany);
  if (hooks.hints) cardHooks.hints[kind].push(hooks.hints);
  if (hooks.sections) cardHooks.sections[kind].push(hooks.sections);
  if (hooks.facts) cardHooks.facts[kind].push(hooks.facts);
}

const cardHooks: { saved: Record<CardKind, Saved[]>; savedMany: Record<CardKind, SavedMany[]>; hints: Record<CardKind, Hints[]>; sections: Record<CardKind, Sections[]>; facts: Record<CardKind, Facts[]> } = {
  saved: { person: [], organization: [] },
  /** Many cards written at once (an import's commit): the watcher checks them in batches. */
  savedMany: { person: [], organization: [] },
  hints: { person: [], organization: [] },
  /** Sections shown on the card page (the mailings a card was part of), in registration order. */
  sections: { person: [], organization: [] },
  /**
   * Values for the parts of a card page that other features own (document counts, groups; an
   * organization's persons), so the card's feature asks them without importing them. Their
   * names must not clash.
   */
  facts: { person: [], organization: [] },
};

/**
 * Runs after the card's transaction committed. A failing watcher must not undo or fail the save
 * the user made: its work is redone by the next full check, so it is only reported.
 */
export async function cardSaved(db: Db, kind: CardKind, id: number, onError?: (err: unknown) => void): Promise<void> {
  for (const hook of cardHooks.saved[kind]) {
    try {
      await hook(db, id);
    } catch (err) {
      onError?.(err);
    }
  }
}

/** After a bulk write (an import) committed: like cardSaved, for many cards at once. */
export async function cardsSaved(db: Db, kind: CardKind, ids: number[], onError?: (err: unknown) => void): Promise<void> {
  if (ids.length === 0) return;
  for (const hook of cardHooks.savedMany[kind]) {
    try {
      await hook(db, ids);
    } catch (err) {
      onError?.(err);
    }
  }
}

export async function cardHints(db: Db | Tx, kind: CardKind, id: number): Promise<CardHint[]> {
  const out: CardHint[] = [];
  for (const hints of cardHooks.hints[kind]) out.push(...(await hints(db, id)));
  return out;
}

/** The sections other features add to a card page; a feature with nothing to show gives null. */
export async function cardSections(db: Db, kind: CardKind, id: number): Promise<CardSection[]> {
  const found = await Promise.all(cardHooks.sections[kind].map((section) => section(db, id)));
  return found.filter((s): s is CardSection => s !== null);
}

/** The values other features add to a card page, merged into one object. */
export async function cardFacts(db: Db, kind: CardKind, id: number, view: CardView = {}): Promise<Record<string, unknown>> {
  const found = await Promise.all(cardHooks.facts[kind].map((facts) => facts(db, id, view)));
  return Object.assign({}, ...found);
}
