import type { Db, Tx } from '../db/client.js';

export type HistoryKind = 'person' | 'organization';

/** Of `ids`, those that have history of one sort: one query however many ids there are. */
export type HistoryCheck = (db: Db | Tx, ids: readonly number[]) => Promise<Iterable<number>>;

const checks: Record<HistoryKind, HistoryCheck[]> = { person: [], organization: [] };

/**
 * Features that attach history to a counterparty (correspondence, group memberships, an
 * organization's persons) register a check here at startup (features/index.ts), so "delete" can
 * tell whether erasing would lose it and archive instead, and an import's undo leaves such a
 * record in place by the same rule.
 */
export function registerHistoryCheck(kind: HistoryKind, check: HistoryCheck): void {
  checks[kind].push(check);
}

/** True when erasing this person or organization would lose history. */
export async function hasHistory(db: Db | Tx, kind: HistoryKind, id: number): Promise<boolean> {
  for (const check of checks[kind]) for (const _ of await check(db, [id])) return true;
  return false;
}

/** The ones among `ids` that have history, for many records at once (an import's undo). */
export async function withHistory(db: Db | Tx, kind: HistoryKind, ids: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  if (!ids.length) return out;
  for (const check of checks[kind]) for (const id of await check(db, ids)) out.add(id);
  return out;
}
