import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../../db/client.js';

/**
 * Many rows in few statements. Every list and every batch of rows travels as ONE parameter (a
 * JSON document or an array literal) instead of one parameter per value: PGlite serializes each
 * parameter on its own, and thousands of them cost more than the insert itself (10,000 persons:
 * about 2 s with a parameter per value, about 0.5 s as one JSON document).
 */

/** `= any(...)` over integers: `sql\`x.id = ${anyInt(ids)}\``. */
export function anyInt(ids: readonly number[]): SQL {
  return sql`any(${`{${ids.map((n) => Math.trunc(n)).join(',')}}`}::int[])`;
}

/** `= any(...)` over strings of any content. */
export function anyText(values: readonly string[]): SQL {
  return sql`any(array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)))`;
}

export function chunked<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** `n` fresh ids of a serial column, ascending, so rows keep their order in the id order. */
export async function allocateIds(tx: Db | Tx, table: PgTable, n: number): Promise<number[]> {
  if (n <= 0) return [];
  const result = (await tx.execute(sql`select nextval(pg_get_serial_sequence(${getTableName(table)}, 'id'))::int as id from generate_series(1, ${n})`)) as unknown as { rows: { id: number }[] };
  return result.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

function recordType(sqlType: string): { decl: string; bytea: boolean } {
  const t = sqlType.toLowerCase();
  if (t === 'bytea') return { decl: 'text', bytea: true };
  if (t.startsWith('text')) return { decl: 'text', bytea: false };
  if (t === 'serial') return { decl: 'integer', bytea: false };
  return { decl: t, bytea: false };
}

function jsonValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return v === undefined ? null : v;
}

/**
 * Inserts rows (objects keyed by the table's TypeScript field names, all with the same keys)
 * through `jsonb_to_recordset`, `size` rows per statement. Columns left out take their defaults.
 */
export async function bulkInsert<T extends PgTable>(tx: Db | Tx, table: T, rows: Partial<T['$inferInsert']>[], size = 1000): Promise<void> {
  if (!rows.length) return;
  const columns = getTableColumns(table);
  const fields = Object.keys(rows[0]).filter((f) => f in columns);
  const cols = fields.map((f) => ({ field: f, name: columns[f].name, ...recordType(columns[f].getSQLType()) }));
  const target = sql.join(cols.map((c) => sql.identifier(c.name)), sql`, `);
  const select = sql.join(
    cols.map((c) => (c.bytea ? sql`decode(x.${sql.identifier(c.name)}, 'base64')` : sql`x.${sql.identifier(c.name)}`)),
    sql`, `,
  );
  const decl = sql.raw(cols.map((c) => `"${c.name}" ${c.decl}`).join(', '));
  for (const part of chunked(rows, size)) {
    const json = JSON.stringify(part.map((r) => Object.fromEntries(cols.map((c) => [c.name, jsonValue((r as Record<string, unknown>)[c.field])]))));
    await tx.execute(sql`insert into ${table} (${target}) select ${select} from jsonb_to_recordset(${json}::jsonb) as x(${decl})`);
  }
}

/**
 * Updates rows by id (objects keyed by field names, all with the same keys, `id` among them)
 * through `jsonb_to_recordset`, `size` rows per statement.
 */
export async function bulkUpdate<T extends PgTable>(tx: Db | Tx, table: T, rows: (Partial<T['$inferInsert']> & { id: number })[], size = 1000): Promise<void> {
  if (!rows.length) return;
  const columns = getTableColumns(table);
  const fields = Object.keys(rows[0]).filter((f) => f in columns);
  const cols = fields.map((f) => ({ field: f, name: columns[f].name, ...recordType(columns[f].getSQLType()) }));
  const set = sql.join(
    cols.filter((c) => c.field !== 'id').map((c) => sql`${sql.identifier(c.name)} = ${c.bytea ? sql`decode(x.${sql.identifier(c.name)}, 'base64')` : sql`x.${sql.identifier(c.name)}`}`),
    sql`, `,
  );
  const decl = sql.raw(cols.map((c) => `"${c.name}" ${c.decl}`).join(', '));
  for (const part of chunked(rows, size)) {
    const json = JSON.stringify(part.map((r) => Object.fromEntries(cols.map((c) => [c.name, jsonValue((r as Record<string, unknown>)[c.field])]))));
    await tx.execute(sql`update ${table} set ${set} from jsonb_to_recordset(${json}::jsonb) as x(${decl}) where ${table}.id = x.id`);
  }
}
