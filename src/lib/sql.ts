import { sql, type SQL } from 'drizzle-orm';

/**
 * `= any(...)` over integers, the whole list as ONE parameter: `sql\`x.id = ${anyInt(ids)}\``.
 * (PGlite serializes each parameter on its own, and a list of thousands would also pass
 * PostgreSQL's limit of 65,535 parameters.)
 */
export function anyInt(ids: readonly number[]): SQL {
  return sql`any(${`{${ids.map((n) => Math.trunc(n)).join(',')}}`}::int[])`;
}
