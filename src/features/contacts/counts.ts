import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';

/**
 * The directory's counts kept by triggers (drizzle/0021_directory_counts.sql): the contacts
 * screen's total, each letter's, region's, activity's and category's count (key '' = none), those
 * in some mailing group or in none ('grouped': 'some', 'none'), and the persons without an
 * organization. Reading one is a primary-key probe, whatever the directory's size; counting the
 * rows themselves read every organization (20 ms at a million).
 */
export type CountKind = 'organizations' | 'letter' | 'region' | 'activity' | 'category' | 'grouped' | 'unaffiliated';

/** The counts of these keys (0 for a key never counted): archived ones included or not. */
export async function directoryCounts(tx: Tx, kind: CountKind, keys: string[], showArchived: boolean): Promise<Map<string, number>> {
  const out = new Map<string, number>(keys.map((k) => [k, 0]));
  if (!keys.length) return out;
  const found = rowsOf(
    await tx.execute(sql`select key, live, total from directory_counts where kind = ${kind} and key in (${sql.join(keys.map((k) => sql`${k}`), sql`, `)})`),
    { key: 'string', live: 'numeric', total: 'numeric' },
    'contacts: directory counts',
  );
  for (const r of found) out.set(r.key, Number(showArchived ? r.total : r.live));
  return out;
}

/** One count (the organizations' total, the persons without an organization). */
export async function directoryCount(tx: Tx, kind: 'organizations' | 'unaffiliated', showArchived: boolean): Promise<number> {
  return (await directoryCounts(tx, kind, [''], showArchived)).get('') ?? 0;
}
