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

/** What a feature hooks onto one kind of card; each part optional. */
export interface CardHooks {
  saved?: Saved;
  savedMany?: SavedMany;
  hints?: Hints;
  sections?: Sections;
}

/**
 * Features that watch persons and organizations (the duplicate finder, the mailings a card was
 * part of) register here at startup (features/index.ts), so the persons and organizations
 * features call them without importing them: a card saved, archived or restored is re-checked,
 * and its page asks for hints and sections.
 */
export function registerCardHooks(kind: CardKind, hooks: CardHooks): void {
  if (hooks.saved) cardHooks.saved[kind].push(hooks.saved);
  if (hooks.savedMany) cardHooks.savedMany[kind].push(hooks.savedMany);
  if (hooks.hints) cardHooks.hints[kind].push(hooks.hints);
  if (hooks.sections) cardHooks.sections[kind].push(hooks.sections);
}

const cardHooks: { saved: Record<CardKind, Saved[]>; savedMany: Record<CardKind, SavedMany[]>; hints: Record<CardKind, Hints[]>; sections: Record<CardKind, Sections[]> } = {
  saved: { person: [], organization: [] },
  /** Many cards written at once (an import's commit): the watcher checks them in batches. */
  savedMany: { person: [], organization: [] },
  hints: { person: [], organization: [] },
  /** Sections shown on the card page (the mailings a card was part of), in registration order. */
  sections: { person: [], organization: [] },
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
