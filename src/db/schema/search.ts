import { sql } from 'drizzle-orm';
import { index, pgTable } from 'drizzle-orm/pg-core';
import { textC } from './types.js';

/**
 * Every distinct word of the persons' and organizations' search texts, kept by triggers
 * (drizzle/0005_search_words.sql). The locator looks for typos here: a few thousand short words
 * to compare, instead of the long search text of every person sharing a trigram with the query.
 * Words are only added, never removed: a word nobody uses any more matches no card.
 */
export const searchWords = pgTable(
  'search_words',
  { word: textC('word').primaryKey() },
  (t) => [index('search_words_trgm_idx').using('gin', sql`${t.word} gin_trgm_ops`)],
);
