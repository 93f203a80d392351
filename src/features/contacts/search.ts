import { sql, type SQL } from 'drizzle-orm';
import { digitsOf, escapeLike, normalizeKey } from '../../lib/text.js';

/** Typo tolerance: pg_trgm word similarity at or above this counts as a match. */
export const FUZZY_THRESHOLD = 0.4;
/** Shorter queries are matched exactly only: three letters have too few trigrams to compare. */
const FUZZY_MIN_LENGTH = 4;
const DIGITS_MIN_LENGTH = 3;

/**
 * The locator's query, prepared once: normalized (case, Ё→Е), LIKE patterns escaped, and the
 * phone digits when the query has enough of them. Produces SQL conditions for persons and
 * organizations and a rank: 0 for a prefix match of a word, 1 for anything looser.
 */
export class Locator {
  readonly normalized: string;
  private readonly contains: string;
  private readonly prefix: string;
  private readonly wordPrefix: string;
  private readonly digits: string | null;
  private readonly fuzzy: boolean;

  constructor(q: string) {
    this.normalized = normalizeKey(q).slice(0, 200);
    const e = escapeLike(this.normalized);
    this.contains = `%${e}%`;
    this.prefix = `${e}%`;
    this.wordPrefix = `% ${e}%`;
    const d = digitsOf(q);
    this.digits = d.length >= DIGITS_MIN_LENGTH ? `%${d}%` : null;
    this.fuzzy = this.normalized.length >= FUZZY_MIN_LENGTH && /\p{L}/u.test(this.normalized);
  }

  get active(): boolean {
    return this.normalized.length > 0;
  }

  /** SQL that sets the similarity threshold for the current transaction only. */
  static setup(): SQL {
    return sql`select set_config('pg_trgm.word_similarity_threshold', ${String(FUZZY_THRESHOLD)}, true)`;
  }

  person(p: SQL): SQL {
    const parts = [sql`${p}.search_text like ${this.contains}`];
    if (this.digits) parts.push(sql`${p}.phone_digits like ${this.digits}`);
    if (this.fuzzy) parts.push(sql`${this.normalized} <% ${p}.search_text`);
    return sql`(${sql.join(parts, sql` or `)})`;
  }

  personPrefix(p: SQL): SQL {
    const parts = [sql`${p}.search_text like ${this.prefix}`, sql`${p}.search_text like ${this.wordPrefix}`];
    if (this.digits) parts.push(sql`${p}.phone_digits like ${this.digits}`);
    return sql`(${sql.join(parts, sql` or `)})`;
  }

  organization(o: SQL): SQL {
    const parts = [sql`${o}.search_text like ${this.contains}`];
    if (this.fuzzy) parts.push(sql`${this.normalized} <% ${o}.search_text`);
    return sql`(${sql.join(parts, sql` or `)})`;
  }

  organizationPrefix(o: SQL): SQL {
    return sql`(${o}.search_text like ${this.prefix} or ${o}.search_text like ${this.wordPrefix})`;
  }
}
