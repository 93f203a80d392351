import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db, Tx } from './client.js';
import { timeSlicer } from '../lib/limit.js';

/**
 * Many rows in few statements. Every list and every batch of rows travels as ONE parameter (a
 * JSON document or an array literal) instead of one parameter per value: PGlite serializes each
 * parameter on its own, and thousands of them cost more than the insert itself (10,000 persons:
 * about 2 s with a parameter per value, about 0.5 s as one JSON document).
 */

/**
 * Writes sent without waiting for each answer in turn: a statement is handed to the
 * transaction's one connection (which runs them in order; in a pipelined transaction they are
 * on the wire at once) and the caller goes on preparing the next ones while the database works.
 * At most IN_FLIGHT statements are unanswered, so memory stays bounded. The first failure is
 * thrown by the next `send` or by `flush`; every statement after it fails anyway, the transaction
 * being aborted. Reads issued on the transaction meanwhile queue behind the writes and see them.
 * `flush` before the transaction ends: a COMMIT after a failed statement would quietly roll back.
 */
const IN_FLIGHT = 8;

export class Pipeline {
  private readonly pending: Promise<void>[] = [];
  private failure: { error: unknown } | null = null;

  constructor(readonly tx: Tx) {}

  async send(query: SQL): Promise<void> {
    if (this.failure) throw this.failure.error;
    // `then` starts the query at once (a drizzle query is lazy until then).
    this.pending.push(
      this.tx.execute(query).then(
        () => {},
        (error: unknown) => {
          this.failure ??= { error };
        },
      ),
    );
    if (this.pending.length > IN_FLIGHT) await this.pending.shift();
    if (this.failure) throw (this.failure as { error: unknown }).error;
  }

  async flush(): Promise<void> {
    await Promise.all(this.pending.splice(0));
    if (this.failure) throw this.failure.error;
  }

  /** The first failure, if any: the cause of whatever failed after it. */
  get error(): unknown {
    return this.failure?.error;
  }
}

/** Where bulk statements go: straight to the database, or through a pipeline. */
export type Target = Db | Tx | Pipeline;

export function send(target: Target, query: SQL): Promise<unknown> {
  return target instanceof Pipeline ? target.send(query) : target.execute(query);
}

/** The transaction behind a target, for the reads between writes (they queue behind them). */
export function txOf(target: Target): Db | Tx {
  return target instanceof Pipeline ? target.tx : target;
}

/**
 * `= any(...)` over integers, the whole list as ONE parameter: `sql\`x.id = ${anyInt(ids)}\``.
 * (PGlite serializes each parameter on its own, and a list of thousands would also pass
 * PostgreSQL's limit of 65,535 parameters.)
 */
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
export async function allocateIds(target: Target, table: PgTable, n: number): Promise<number[]> {
  if (n <= 0) return [];
  const result = (await txOf(target).execute(sql`select nextval(pg_get_serial_sequence(${getTableName(table)}, 'id'))::int as id from generate_series(1, ${n})`)) as unknown as { rows: { id: number }[] };
  return result.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

function recordType(sqlType: string): { decl: string; bytea: boolean } {
  const t = sqlType.toLowerCase();
  if (t === 'bytea') return { decl: 'text', bytea: true };
  if (t.startsWith('text')) return { decl: 'text', bytea: false };
  if (t === 'serial') return { decl: 'integer', bytea: false };
  return { decl: t, bytea: false };
}

/**
 * The rows as one JSON array of objects keyed by column name. Each object is filled in column
 * order, so all share one shape and JSON.stringify takes its fast path (measured: faster than
 * building them from entries, and than writing the text by hand). Dates become ISO strings
 * through their toJSON, buffers base64 for decode().
 */
function recordsJson(rows: readonly object[], cols: readonly { field: string; name: string }[]): string {
  return JSON.stringify(
    rows.map((r) => {
      const o: Record<string, unknown> = {};
      for (const c of cols) {
        const v = (r as Record<string, unknown>)[c.field];
        o[c.name] = v === undefined ? null : Buffer.isBuffer(v) ? v.toString('base64') : v;
      }
      return o;
    }),
  );
}

type RecordColumn = { field: string; name: string } & ReturnType<typeof recordType>;

/**
 * The rows' columns as `jsonb_to_recordset` declares them, and the rows sent `size` at a time,
 * each part as one statement made by `statement(json, decl)`.
 */
async function sendRecords<T extends PgTable>(
  tx: Target,
  table: T,
  rows: readonly object[],
  size: number,
  statement: (cols: RecordColumn[]) => (json: string, decl: SQL) => SQL,
): Promise<void> {
  if (!rows.length) return;
  const columns = getTableColumns(table);
  const cols = Object.keys(rows[0])
    .filter((f) => f in columns)
    .map((f) => ({ field: f, name: columns[f].name, ...recordType(columns[f].getSQLType()) }));
  const decl = sql.raw(cols.map((c) => `"${c.name}" ${c.decl}`).join(', '));
  const make = statement(cols);
  const clock = timeSlicer();
  for (const part of chunked(rows, size)) {
    // Statements sent down a pipeline do not wait for the database: without this, a whole import's
    // rows were turned into JSON in one piece of the event loop.
    if (clock.due()) await clock.yield();
    await send(tx, make(recordsJson(part, cols), decl));
  }
}

/** A record column as a value: bytea travels as base64 in the JSON. */
const recordValue = (c: RecordColumn) => (c.bytea ? sql`decode(x.${sql.identifier(c.name)}, 'base64')` : sql`x.${sql.identifier(c.name)}`);

/**
 * Inserts rows (objects keyed by the table's TypeScript field names, all with the same keys)
 * through `jsonb_to_recordset`, `size` rows per statement. Columns left out take their defaults.
 * (Not `json_to_recordset`: it turns a nested object into a jsonb column several times slower.)
 */
export async function bulkInsert<T extends PgTable>(tx: Target, table: T, rows: Partial<T['$inferInsert']>[], size = 1000): Promise<void> {
  await sendRecords(tx, table, rows, size, (cols) => {
    const target = sql.join(cols.map((c) => sql.identifier(c.name)), sql`, `);
    const select = sql.join(cols.map(recordValue), sql`, `);
    return (json, decl) => sql`insert into ${table} (${target}) select ${select} from jsonb_to_recordset(${json}::jsonb) as x(${decl})`;
  });
}

/**
 * Updates rows by id (objects keyed by field names, all with the same keys, `id` among them)
 * through `jsonb_to_recordset`, `size` rows per statement.
 */
export async function bulkUpdate<T extends PgTable>(tx: Target, table: T, rows: (Partial<T['$inferInsert']> & { id: number })[], size = 1000): Promise<void> {
  await sendRecords(tx, table, rows, size, (cols) => {
    const set = sql.join(cols.filter((c) => c.field !== 'id').map((c) => sql`${sql.identifier(c.name)} = ${recordValue(c)}`), sql`, `);
    return (json, decl) => sql`update ${table} set ${set} from jsonb_to_recordset(${json}::jsonb) as x(${decl}) where ${table}.id = x.id`;
  });
}
