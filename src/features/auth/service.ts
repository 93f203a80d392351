import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.js';
import type { User } from '../../db/schema/users.js';
import { authenticate as authenticateLocal } from '../users/service.js';
import { Directory, DirectoryUnavailableError, type DirectoryUser } from './ldap.js';
import * as q from './queries.js';

export type SignIn =
  | { ok: true; user: User }
  /** invalid: wrong login or password (also unknown, disabled or ambiguous: one message for all). */
  | { ok: false; reason: 'invalid' | 'unavailable' | 'loginTaken' };

export interface AuthContext {
  db: Db;
  directory: Directory | null;
}

const directories = new WeakMap<FastifyInstance, Directory | null>();

/** The app's directory (one per app instance), or null when LDAP_URL is unset. */
export function directoryOf(app: FastifyInstance): Directory | null {
  if (!directories.has(app)) directories.set(app, app.config.ldap ? new Directory(app.config.ldap, app.log) : null);
  return directories.get(app)!;
}

const NAME_MAX = 200;

/**
 * Sign-in with the one form: a local account (source 'local', the first administrator among them)
 * is checked against its own password and never against the directory, so a broken directory locks
 * no local user out; any other login is checked against the directory when one is configured.
 */
export async function authenticate(ctx: AuthContext, rawLogin: string, password: string): Promise<SignIn> {
  const login = rawLogin.trim();
  const existing = login ? await q.findAccountByLogin(ctx.db, login) : undefined;
  if (!ctx.directory || existing?.source === 'local') {
    const user = await authenticateLocal(ctx.db, login, password);
    return user ? { ok: true, user } : { ok: false, reason: 'invalid' };
  }
  // Refused before the directory is touched: an empty password would be an anonymous bind.
  if (!login || !password) return { ok: false, reason: 'invalid' };
  let found: DirectoryUser | null;
  try {
    found = await ctx.directory.authenticate(login, password);
  } catch (err) {
    if (err instanceof DirectoryUnavailableError) return { ok: false, reason: 'unavailable' };
    throw err;
  }
  if (!found) return { ok: false, reason: 'invalid' };
  return accountFor(ctx.db, found);
}

/** The account of a directory user: created at the first sign-in, brought up to date at every one. */
async function accountFor(db: Db, found: DirectoryUser): Promise<SignIn> {
  const fields = { name: found.name.slice(0, NAME_MAX), email: found.email, role: found.role, externalDn: found.dn };
  for (let attempt = 0; attempt < 2; attempt++) {
    const byDn = await q.findUserByExternalDn(db, found.dn);
    const byLogin = byDn ? undefined : await q.findAccountByLogin(db, found.login);
    // A local account already holds that login: never merged into a directory identity silently.
    if (byLogin && byLogin.source === 'local') return { ok: false, reason: 'loginTaken' };
    const account = byDn ?? byLogin;
    if (account) {
      // Deactivated here by an administrator: the directory does not override that.
      if (!account.active) return { ok: false, reason: 'invalid' };
      return { ok: true, user: await q.refreshDirectoryUser(db, account, fields) };
    }
    try {
      return { ok: true, user: await q.insertDirectoryUser(db, { ...fields, login: found.login }) };
    } catch (err) {
      // The same person signing in twice at once: the unique index decides, then the row is read.
      if (attempt === 1) throw err;
    }
  }
  throw new Error('unreachable');
}

export type Recheck = { ok: true; user: User } | { ok: false; reason: 'gone' | 'unavailable' };

/** The periodic re-check of a signed-in directory account, with the service account. */
export async function recheckDirectoryUser(ctx: AuthContext, user: User): Promise<Recheck> {
  if (!ctx.directory || !user.externalDn) return { ok: false, reason: 'gone' };
  let found: DirectoryUser | null;
  try {
    found = await ctx.directory.recheck(user.externalDn, user.login);
  } catch (err) {
    if (err instanceof DirectoryUnavailableError) return { ok: false, reason: 'unavailable' };
    throw err;
  }
  if (!found) return { ok: false, reason: 'gone' };
  const fields = { name: found.name.slice(0, NAME_MAX), email: found.email, role: found.role, externalDn: found.dn };
  return { ok: true, user: await q.refreshDirectoryUser(ctx.db, user, fields) };
}
