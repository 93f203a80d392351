/**
 * What a column holds, as both drivers hand it back. `numeric` is a number, or the string pg
 * gives for bigint and numeric (count(*) without a cast); `date` a Date, or a string where the
 * query made one; `bytes` a bytea (a Buffer or a Uint8Array); `json` anything. A trailing `?`
 * allows null. A list of strings (`['none', 'priority', 'warning']`) is a text column holding one
 * of them, typed as their union.
 */
interface Kinds {
  string: string;
  number: number;
  numeric: number | string;
  boolean: boolean;
  date: Date | string;
  'number[]': number[];
  'string[]': string[];
  bytes: Uint8Array;
  json: unknown;
}
type Kind = keyof Kinds;
export type ColumnSpec = Kind | `${Kind}?` | readonly string[];
export type RowShape = Record<string, ColumnSpec>;
export type RowOf<S extends RowShape> = {
  [K in keyof S]: S[K] extends readonly (infer E)[]
    ? E
    : S[K] extends `${infer B extends Kind}?`
      ? Kinds[B] | null
      : S[K] extends Kind
        ? Kinds[S[K]]
        : never;
};

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'numeric':
      return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) || typeof v === 'bigint';
    case 'boolean':
      return typeof v === 'boolean';
    case 'date':
      return v instanceof Date || typeof v === 'string';
    case 'number[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'bytes':
      return v instanceof Uint8Array;
    case 'json':
      return v !== undefined;
  }
}

/**
 * The rows of a `db.execute(sql)` result, each checked against the shape the caller expects
 * (`{ id: 'number', name: 'string', archivedAt: 'date?' }`): a column missing, renamed in the
 * SQL or of another type stops the request here, naming the query and the column, instead of
 * travelling on as `undefined` or a string where a number was meant.
 */
export function rowsOf<const S extends RowShape>(result: unknown, shape: S, query: string): RowOf<S>[] {
  const list = (result as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(list)) throw new Error(`${query}: the result has no rows`);
  const columns = Object.entries(shape).map(([name, spec]) => {
    if (typeof spec !== 'string') return { name, nullable: false, kind: 'string' as Kind, oneOf: spec };
    const nullable = spec.endsWith('?');
    return { name, nullable, kind: (nullable ? spec.slice(0, -1) : spec) as Kind, oneOf: null };
  });
  for (let i = 0; i < list.length; i++) {
    const row = list[i] as Record<string, unknown>;
    for (const c of columns) {
      const v = row[c.name];
      if (v === null && c.nullable) continue;
      if (c.oneOf ? !c.oneOf.includes(v as string) : !fits(c.kind, v)) {
        const expected = c.oneOf ? `one of ${c.oneOf.join(', ')}` : c.nullable ? `${c.kind} or null` : c.kind;
        throw new Error(`${query}: row ${i} column ${c.name} is ${v === null ? 'null' : typeof v === 'string' && c.oneOf ? JSON.stringify(v) : typeof v}, expected ${expected}`);
      }
    }
  }
  return list as RowOf<S>[];
}
