import { customType } from 'drizzle-orm/pg-core';

/**
 * Text under the "C" collation, for normalized keys (lower case, Ё→Е). Byte order of such keys is
 * Russian alphabetical order, identical on PostgreSQL and PGlite (which has no ICU), and btree
 * indexes serve both ORDER BY and prefix LIKE without a COLLATE clause in every query.
 */
export const textC = customType<{ data: string }>({
  dataType: () => 'text collate "C"',
});

export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});
