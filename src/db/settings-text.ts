import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from './client.js';
import { settings } from './schema/settings.js';

/**
 * A setting whose value is a JSON string, read as that string. Both drivers hand jsonb over
 * already parsed, and Drizzle's jsonb column then JSON.parses any string it gets once more, so a
 * stored string that itself reads as JSON came back changed: the hex name "3353e082" as the
 * number 3.353e+85. `#>> '{}'` makes PostgreSQL return the scalar's text, which nothing parses.
 */
export async function settingText(db: Db | Tx, key: string): Promise<string | undefined> {
  const [row] = await db.select({ value: sql<string>`${settings.value} #>> '{}'` }).from(settings).where(eq(settings.key, key));
  return row?.value;
}
