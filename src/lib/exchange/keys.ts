import { randomBytes } from 'node:crypto';
import { isNotNull, sql, type SQL } from 'drizzle-orm';
import { importChanges } from '../../db/schema/imports.js';
import type { Db, Tx } from '../../db/client.js';
import { settings } from '../../db/schema/settings.js';
import { settingText } from '../../db/settings-text.js';

/**
 * Stable record keys for the XML export. A record created here is `p123-<installation>`; a record
 * that came from another installation's XML keeps the key it had there (import_changes remembers
 * it), so exporting, importing elsewhere and exporting again gives the same keys, and keys of two
 * installations never clash inside one file.
 */
const INSTANCE_KEY = 'export_instance';
const cache = new WeakMap<object, string>();

export const KEY_PREFIX = { person: 'p', organization: 'o', group: 'g' } as const;
export type KeyedEntity = keyof typeof KEY_PREFIX;

/** A key as the XSD allows it: an XML NCName of sane length. */
export const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;

/** This installation's short random name, created once and kept in settings. */
export async function instanceId(db: Db | Tx): Promise<string> {
  const cached = cache.get(db);
  if (cached) return cached;
  // Read first: an export on the read replica cannot write (the app makes it at start).
  const existing = await settingText(db, INSTANCE_KEY);
  if (existing) {
    cache.set(db, existing);
    return existing;
  }
  await db
    .insert(settings)
    .values({ key: INSTANCE_KEY, value: randomBytes(4).toString('hex') })
    .onConflictDoNothing();
  const id = (await settingText(db, INSTANCE_KEY))!;
  cache.set(db, id);
  return id;
}

export function nativeKey(entity: KeyedEntity, id: number, instance: string): string {
  return `${KEY_PREFIX[entity]}${id}-${instance}`;
}

/** The id of one of our own records from its key, or null when the key is not ours. */
export function parseNativeKey(entity: KeyedEntity, key: string, instance: string): number | null {
  const m = /^([a-z])(\d{1,10})-([0-9a-f]+)$/.exec(key);
  if (!m || m[1] !== KEY_PREFIX[entity] || m[3] !== instance) return null;
  const id = Number(m[2]);
  return id > 0 && id <= 2147483647 ? id : null;
}

/** What an export needs to write keys: this installation's name, and whether any came from elsewhere. */
export interface KeyContext {
  instance: string;
  /** False when no XML was ever imported: then no record carries a foreign key and none is looked up. */
  foreign: boolean;
}

export async function keyContext(db: Db | Tx): Promise<KeyContext> {
  const instance = await instanceId(db);
  const [row] = await db.select({ id: importChanges.id }).from(importChanges).where(isNotNull(importChanges.externalKey)).limit(1);
  return { instance, foreign: Boolean(row) };
}

/** SQL for the key of the record `alias.id` of the given kind. */
export function keySql(entity: KeyedEntity, alias: SQL, keys: KeyContext): SQL {
  return keyOfIdSql(entity, sql`${alias}.id`, keys);
}

/** SQL for the key of the record of the given kind whose id is `id` (a column that refers to it). */
export function keyOfIdSql(entity: KeyedEntity, id: SQL, keys: KeyContext): SQL {
  const native = sql`${KEY_PREFIX[entity]}::text || ${id}::text || ${'-' + keys.instance}::text`;
  if (!keys.foreign) return native;
  return sql`coalesce(
    (select c.external_key from import_changes c
      where c.entity_type = ${entity} and c.entity_id = ${id} and c.external_key is not null order by c.id limit 1),
    ${native})`;
}
