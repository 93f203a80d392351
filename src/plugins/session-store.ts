import { eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { sessions } from '../db/schema/sessions.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- @fastify/session's callback types
type Callback = (err?: any, value?: any) => void;

export interface StoredSessionData {
  userId?: number;
  /** ms since epoch: when the user signed in (absolute expiry counts from here). */
  createdAt?: number;
  /** ms since epoch: last request seen (idle expiry counts from here). */
  lastSeenAt?: number;
  /** The CSRF secret of this session (tokens are derived from it); a new session gets a new one. */
  _csrf?: string;
  /**
   * The primary's WAL position after this session's last write (PostgreSQL with a read replica):
   * its pages read from the replica only once it has replayed that far.
   */
  wroteLsn?: string;
  flash?: { kind: 'success' | 'error' | 'info'; key: string; params?: Record<string, string | number>; link?: string }[];
}

/**
 * @fastify/session store in PostgreSQL (both drivers). A row's expires_at is the earlier of the
 * idle and the absolute deadline; an expired row is never returned and is swept now and then.
 */
export class PgSessionStore {
  private lastSweep = 0;

  constructor(
    private readonly db: Db,
    private readonly idleMs: number,
    private readonly absoluteMs: number,
  ) {}

  expiryOf(data: StoredSessionData): Date {
    const now = Date.now();
    const idle = (data.lastSeenAt ?? now) + this.idleMs;
    const absolute = (data.createdAt ?? now) + this.absoluteMs;
    return new Date(Math.min(idle, absolute));
  }

  set(sid: string, session: object, cb: Callback) {
    const data = JSON.parse(JSON.stringify(session)) as StoredSessionData;
    const expiresAt = this.expiryOf(data);
    this.db
      .insert(sessions)
      .values({ sid, data, expiresAt })
      .onConflictDoUpdate({ target: sessions.sid, set: { data, expiresAt } })
      .then(() => this.sweep())
      .then(() => cb(), cb);
  }

  get(sid: string, cb: Callback) {
    this.db
      .select()
      .from(sessions)
      .where(eq(sessions.sid, sid))
      .then((rows) => {
        const row = rows[0];
        if (!row || row.expiresAt.getTime() <= Date.now()) return cb(null, null);
        cb(null, row.data);
      }, cb);
  }

  destroy(sid: string, cb: Callback) {
    this.db
      .delete(sessions)
      .where(eq(sessions.sid, sid))
      .then(() => cb(), cb);
  }

  // Expired rows are deleted at most every ten minutes, piggy-backing on a write.
  private async sweep() {
    const now = Date.now();
    if (now - this.lastSweep < 10 * 60_000) return;
    this.lastSweep = now;
    await this.db.delete(sessions).where(lt(sessions.expiresAt, new Date(now)));
  }
}
