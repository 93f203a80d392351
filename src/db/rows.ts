/** The rows of a `db.execute(sql)` result: node-postgres and PGlite both answer `{ rows }`. */
export function rows<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
