import type { DuplicateKind } from '../../db/schema/duplicates.js';

/**
 * Why two cards are thought one, and how strongly each reason says so (0–100). A pair's score is
 * its strongest reason's, plus 5 for each further reason, at most 100.
 */
export const PERSON_REASONS = {
  /** The same e-mail address, any case. */
  email: 90,
  /**
   * The same full name (Ё = Е, any case) in the same organization, or both without one (unless
   * more than SHARED_KEY_LIMIT unaffiliated persons bear it: a common name, not one person).
   */
  name: 85,
  /** The same phone number, compared in E.164. */
  phone: 80,
  /** The same surname and initials in the same organization, one of them written as initials. */
  initials: 70,
  /** The same first name and patronymic in the same organization, surnames a typo apart. */
  similarName: 60,
} as const;

export const ORGANIZATION_REASONS = {
  /** The same INN (ИНН): the tax office's own number of the organization. */
  inn: 95,
  /** The same name once legal form, quotes and script are set aside (ООО «Ромашка» = Romashka LLC). */
  name: 90,
  /** The same website domain. */
  website: 85,
  /** The same e-mail address. */
  email: 80,
  /** Names alike by trigrams (≥ SIMILAR_NAME), with the same first letter and the same digits. */
  similarName: 65,
} as const;

export const REASONS: Record<DuplicateKind, Record<string, number>> = { person: PERSON_REASONS, organization: ORGANIZATION_REASONS };
export const ALL_REASONS = [...new Set([...Object.keys(PERSON_REASONS), ...Object.keys(ORGANIZATION_REASONS)])];

/**
 * A phone number or e-mail address held by more persons than this is a shared line (an office's
 * switchboard, info@…), not a person's own: it pairs nobody. Without the limit, one switchboard
 * number on 1,000 cards made half a million pairs.
 */
export const SHARED_KEY_LIMIT = 5;

/** Trigram similarity at or above which two surnames (same names otherwise) are a typo apart. */
export const SIMILAR_SURNAME = 0.5;
/** Trigram similarity at or above which two organization name keys are alike. */
export const SIMILAR_NAME = 0.6;

export function scoreOf(kind: DuplicateKind, reasons: string[]): number {
  const w = reasons.map((r) => REASONS[kind][r] ?? 0);
  if (w.length === 0) return 0;
  return Math.min(100, Math.max(...w) + 5 * (w.length - 1));
}

/** The ids of a merge form: two to ten distinct cards. */
export const MAX_MERGE = 10;

/** A field's default in a merge: the most recently edited card's non-empty value. */
export function defaultChoice<T extends { id: number; updatedAt: Date }>(cards: T[], value: (c: T) => unknown): number {
  const filled = cards.filter((c) => !isEmptyValue(value(c)));
  const pool = filled.length ? filled : cards;
  return [...pool].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || a.id - b.id)[0].id;
}

export function isEmptyValue(v: unknown): boolean {
  return v === null || v === undefined || v === '' || v === 0 || v === 'unspecified' || (Array.isArray(v) && v.length === 0);
}

/** Two reasons appended into one, each once: "Оборот выше 10 млн ₽; Партнёр". */
export function uniteReasons(a: string, b: string): string {
  const parts = [a, b].map((s) => s.trim()).filter(Boolean);
  return [...new Set(parts)].join('; ');
}
