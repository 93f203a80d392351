import { sql, type SQL } from 'drizzle-orm';
import { digitsOf, escapeLike, normalizeKey } from '../text.js';
import { rowsOf } from '../../db/rows.js';
import { REFERENCE_TABLE } from './groupings.js';

/** Anything that runs a query: the database or a transaction. */
interface Executor {
  execute(query: SQL): Promise<unknown>;
}

/** `word` begins one of the words of `text` (space-separated, normalized). */
function wordPrefix(text: SQL, word: string): SQL {
  const e = escapeLike(word);
  return sql`(${text} like ${`${e}%`} or ${text} like ${`% ${e}%`})`;
}

/** Typo tolerance: pg_trgm word similarity at or above this counts as a match. */
export const FUZZY_THRESHOLD = 0.4;
/** Shorter queries are matched exactly only: three letters have too few trigrams to compare. */
const FUZZY_MIN_LENGTH = 4;
/**
 * Typo matching runs only when the exact matches are fewer than this: someone who typed a name
 * that matches hundreds of cards does not need its near misses, and at 100,000 persons the fuzzy
 * pass (word similarity over long texts) is the expensive part of a search.
 */
export const FUZZY_WHEN_FEWER = 20;
const DIGITS_MIN_LENGTH = 3;
/** At most this many similar words stand in for a one-word query's near misses. */
const NEAR_WORDS = 20;

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
  /** Long enough and with letters: typos can be looked for. */
  readonly fuzzyEligible: boolean;
  /** Decided once (prepare() or the list's own exact pass): exact matches were few, so near misses count too. */
  useFuzzy = false;
  private decided = false;
  /** One word typed: its near misses are the cards containing a word similar to it (see nearWords). */
  private readonly oneWord: boolean;
  private nearWords: string[] = [];
  /**
   * One word of three characters or more, without phone digits: matched through contact_words
   * (drizzle/0007_contact_words.sql), index-only, instead of the persons' search texts.
   */
  readonly byWords: boolean;
  /** The query's words: with several, each must begin some word of the card (or of the header). */
  readonly words: string[];
  /** Near misses never count (the selection's "exact only": group additions, exports). */
  readonly exactOnly: boolean;

  /**
   * `words: false` keeps the search-text path for every query (tests compare the two);
   * `exact: true` leaves near misses out whatever their number.
   */
  constructor(q: string, opts: { words?: boolean; exact?: boolean } = {}) {
    this.normalized = normalizeKey(q).slice(0, 200);
    this.words = this.normalized.split(' ').filter(Boolean);
    this.exactOnly = opts.exact === true;
    const e = escapeLike(this.normalized);
    this.contains = `%${e}%`;
    this.prefix = `${e}%`;
    this.wordPrefix = `% ${e}%`;
    const d = digitsOf(q);
    this.digits = d.length >= DIGITS_MIN_LENGTH ? `%${d}%` : null;
    this.fuzzyEligible = !this.exactOnly && this.normalized.length >= FUZZY_MIN_LENGTH && /\p{L}/u.test(this.normalized);
    this.oneWord = !this.normalized.includes(' ');
    this.byWords = opts.words !== false && this.oneWord && this.normalized.length >= 3 && this.digits === null;
  }

  /**
   * The directory's words containing the query, as an SQL array: `search_text like '%q%'` holds
   * exactly when one of those words is among the card's. Words shorter than three characters are
   * not in search_words, but none of them can contain a query of three.
   */
  containingWords(): SQL {
    return sql`array(select word from search_words where word like ${this.contains})`;
  }

  /** Rank 0 for a word beginning with the query (the same test as personPrefix), else 1. */
  wordRank(word: SQL): SQL {
    return sql`case when ${word} like ${this.prefix} then 0 else 1 end`;
  }

  /**
   * The directory's words beginning with one of the near words, as an SQL array: the same cards as
   * fuzzy()'s `search_text like 'w%' or like '% w%'`. Empty when there are no near words.
   */
  nearMissWords(): SQL {
    if (!this.nearWords.length) return sql`'{}'::text[]`;
    const likes = this.nearWords.map((w) => sql`word like ${`${escapeLike(w)}%`}`);
    return sql`array(select word from search_words where ${sql.join(likes, sql` or `)})`;
  }

  get active(): boolean {
    return this.normalized.length > 0;
  }

  /** SQL that sets the similarity threshold for the current transaction only. */
  static setup(): SQL {
    return sql`select set_config('pg_trgm.word_similarity_threshold', ${String(FUZZY_THRESHOLD)}, true)`;
  }

  /**
   * Decides, once per transaction, whether near misses count (see FUZZY_WHEN_FEWER), so that every
   * query of one request (list, counts, selection, export) agrees on what matches.
   */
  async prepare(tx: Executor): Promise<void> {
    if (!this.active) return;
    await tx.execute(Locator.setup());
    if (this.decided) return;
    if (!this.fuzzyEligible) return this.decide(tx, false);
    const res = await this.viaTrigramIndex(tx, () =>
      tx.execute(sql`
        select (select count(*) from (select 1 from persons p where ${this.personExact(sql`p`)} limit ${FUZZY_WHEN_FEWER}) a)
          + (select count(*) from (select 1 from organizations o where ${this.organizationExact(sql`o`)} limit ${FUZZY_WHEN_FEWER}) b) as n`),
    );
    await this.decide(tx, Number(rowsOf(res, { n: 'numeric' }, 'locator: exact matches')[0].n) < FUZZY_WHEN_FEWER);
  }

  /**
   * Runs the matching queries with the trigram indexes as the only way in. The planner prices LIKE
   * on Cyrillic text and word similarity as cheap operators and picks a scan of every person
   * (≈ 5× slower at 100,000 persons). Below three characters there are no trigrams to use, so the
   * planner keeps its choice.
   */
  async viaTrigramIndex<T>(tx: Executor, fn: () => Promise<T>): Promise<T> {
    if (this.normalized.length < 3) return fn();
    await tx.execute(sql`select set_config('enable_seqscan', 'off', true)`);
    const out = await fn();
    await tx.execute(sql`select set_config('enable_seqscan', 'on', true)`);
    return out;
  }

  /** Records the decision; near misses of one word need their similar words, looked up once here. */
  async decide(tx: Executor, useFuzzy: boolean): Promise<void> {
    this.useFuzzy = useFuzzy && !this.exactOnly;
    this.decided = true;
    if (this.useFuzzy && this.oneWord) this.nearWords = await this.similarWords(tx);
  }

  /**
   * The directory's words similar to the query (pg_trgm word similarity ≥ FUZZY_THRESHOLD), most
   * similar first, without those that begin with another one found (its cards are found anyway).
   * Comparing with a few thousand words is cheap; comparing with the long search text of every
   * person who shares a trigram with a common name is not (hundreds of milliseconds at 100,000).
   */
  private async similarWords(tx: Executor): Promise<string[]> {
    await tx.execute(Locator.setup());
    const found = rowsOf(
      await tx.execute(sql`
        select word from search_words where ${this.normalized} <% word
        order by word_similarity(${this.normalized}, word) desc, word limit ${NEAR_WORDS}`),
      { word: 'string' },
      'locator: similar words',
    ).map((r) => r.word);
    return found.filter((w) => !found.some((other) => other !== w && w.startsWith(other)));
  }

  /** Typo matching only, of a person or an organization; used alone in the list's near-miss pass. */
  fuzzy(alias: SQL): SQL {
    if (!this.oneWord) {
      // Several words narrow: each begins a word of the card or is similar to one of its words;
      // short words (no trigrams to compare) must begin a word.
      const each = this.words.map((w) =>
        w.length >= FUZZY_MIN_LENGTH ? sql`(${wordPrefix(sql`${alias}.search_text`, w)} or ${w} <% ${alias}.search_text)` : wordPrefix(sql`${alias}.search_text`, w),
      );
      return sql`(${sql.join(each, sql` and `)})`;
    }
    if (!this.nearWords.length) return sql`false`;
    // A card containing a word that begins with a similar word: the same test as the prefix rank.
    const likes = this.nearWords.flatMap((w) => [
      sql`${alias}.search_text like ${`${escapeLike(w)}%`}`,
      sql`${alias}.search_text like ${`% ${escapeLike(w)}%`}`,
    ]);
    return sql`(${sql.join(likes, sql` or `)})`;
  }

  /**
   * A text matches exactly: one word anywhere in it ("ванов" finds Иванов, ranked after prefixes);
   * several words each at the beginning of one of its words, in any order ("давыдов кир").
   */
  textMatch(text: SQL): SQL {
    if (this.oneWord) return sql`${text} like ${this.contains}`;
    return sql`(${sql.join(this.words.map((w) => wordPrefix(text, w)), sql` and `)})`;
  }

  personExact(p: SQL): SQL {
    const parts = [this.textMatch(sql`${p}.search_text`)];
    if (this.digits) parts.push(sql`${p}.phone_digits like ${this.digits}`);
    return sql`(${sql.join(parts, sql` or `)})`;
  }

  organizationExact(o: SQL): SQL {
    return sql`(${this.textMatch(sql`${o}.search_text`)})`;
  }

  /**
   * The organizations `o` filed under a header of the grouping that the query matches: the region,
   * activity or category name, a mailing group's name (the organization or one of its active
   * persons is a member), or, in the alphabetical grouping, the organization's city. A header that
   * matched brings all its organizations.
   */
  header(o: SQL, groupBy: string): SQL {
    if (!this.active) return sql`false`;
    switch (groupBy) {
      case 'region':
      case 'activity':
      case 'category': {
        const { table, column } = REFERENCE_TABLE[groupBy];
        return sql`${o}.${column} in (select r.id from ${table} r where ${this.textMatch(sql`r.sort_key`)})`;
      }
      case 'group':
        return sql`${o}.id in (
          select m.organization_id from group_memberships m join mailing_groups g on g.id = m.group_id and g.archived_at is null
          where m.removed_at is null and m.organization_id is not null and ${this.textMatch(sql`g.sort_key`)}
          union
          select hp.organization_id from persons hp join group_memberships m on m.person_id = hp.id and m.removed_at is null
            join mailing_groups g on g.id = m.group_id and g.archived_at is null
          where hp.organization_id is not null and hp.archived_at is null and ${this.textMatch(sql`g.sort_key`)})`;
      default:
        return this.textMatch(sql`${o}.locality_key`);
    }
  }

  /** The keys of the grouping's headers that the query matches (shown marked on the screen). */
  async matchedHeaders(tx: Executor, groupBy: string): Promise<Set<string>> {
    if (!this.active) return new Set();
    const table = groupBy === 'group' ? sql.raw('mailing_groups') : groupBy in REFERENCE_TABLE ? REFERENCE_TABLE[groupBy as keyof typeof REFERENCE_TABLE].table : null;
    if (!table) return new Set();
    const found = rowsOf(await tx.execute(sql`select distinct r.sort_key as key from ${table} r where ${this.textMatch(sql`r.sort_key`)}`), { key: 'string' }, 'locator: matched headers');
    return new Set(found.map((r) => r.key));
  }

  /** Whether a text shown on the screen matches (to mark what matched), by the same rule as textMatch. */
  matchesText(text: string): boolean {
    if (!this.active) return false;
    const t = normalizeKey(text);
    if (this.oneWord) return t.includes(this.normalized);
    const words = t.split(/\s+/);
    return this.words.every((w) => words.some((x) => x.startsWith(w)));
  }

  person(p: SQL): SQL {
    return this.useFuzzy ? sql`(${this.personExact(p)} or ${this.fuzzy(p)})` : this.personExact(p);
  }

  personPrefix(p: SQL): SQL {
    const parts = this.oneWord ? [sql`${p}.search_text like ${this.prefix}`, sql`${p}.search_text like ${this.wordPrefix}`] : [this.textMatch(sql`${p}.search_text`)];
    if (this.digits) parts.push(sql`${p}.phone_digits like ${this.digits}`);
    return sql`(${sql.join(parts, sql` or `)})`;
  }

  organization(o: SQL): SQL {
    return this.useFuzzy ? sql`(${this.organizationExact(o)} or ${this.fuzzy(o)})` : this.organizationExact(o);
  }

  organizationPrefix(o: SQL): SQL {
    if (!this.oneWord) return this.textMatch(sql`${o}.search_text`);
    return sql`(${o}.search_text like ${this.prefix} or ${o}.search_text like ${this.wordPrefix})`;
  }
}
