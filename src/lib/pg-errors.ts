/**
 * The SQLSTATE of a database error, wherever it sits: pg and PGlite put it on the error itself,
 * Drizzle wraps their errors and keeps the original as `cause`.
 */
export function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

export const isUniqueViolation = (err: unknown) => sqlState(err) === '23505';

/**
 * Two transactions got in each other's way (deadlock, serialization failure, a lock not had in
 * time): PostgreSQL rolled this one back whole, so nothing was written and trying again is safe.
 */
export function isTransient(err: unknown): boolean {
  const code = sqlState(err);
  return code === '40P01' || code === '40001' || code === '55P03';
}
