import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { documentCounters, type Direction } from '../../db/schema/documents.js';

const PREFIX: Record<Direction, string> = { incoming: 'Вх', outgoing: 'Исх' };

/** Вх-2026/000123, Исх-2026/000045: the register's own numbering, the same in every language. */
export function formatRegNumber(direction: Direction, year: number, seq: number): string {
  return `${PREFIX[direction]}-${year}/${String(seq).padStart(6, '0')}`;
}

/**
 * The next sequence number of a direction and year, taken inside the registering transaction.
 * The upsert locks the counter row until commit, so concurrent registrations queue on it and get
 * consecutive numbers; a registration that rolls back rolls its increment back too, so no
 * committed number is skipped, and no committed number is ever given twice.
 */
export function allocateSeq(tx: Tx, direction: Direction, year: number): Promise<number> {
  return allocateSeqs(tx, direction, year, 1);
}

/**
 * `count` consecutive sequence numbers at once (a mailing's outgoing copies), taken the same way
 * as allocateSeq: under the counter row's lock until commit. Returns the first of them.
 */
export async function allocateSeqs(tx: Tx, direction: Direction, year: number, count: number): Promise<number> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  const [row] = await tx
    .insert(documentCounters)
    .values({ direction, year, lastSeq: count })
    .onConflictDoUpdate({ target: [documentCounters.direction, documentCounters.year], set: { lastSeq: sql`${documentCounters.lastSeq} + ${count}` } })
    .returning({ lastSeq: documentCounters.lastSeq });
  return row.lastSeq - count + 1;
}
