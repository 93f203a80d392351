import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.js';
import { ROLES, type Role, type User } from '../../db/schema/users.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldErrors } from '../../lib/errors.js';
import { dummyPasswordHash, generatePassword, hashPassword, verifyPassword } from '../../lib/passwords.js';
import { recordAudit, type AuditedField } from '../audit/service.js';
import * as q from './queries.js';

export const MIN_PASSWORD_LENGTH = 8;
const LOGIN_RE = /^[A-Za-z0-9._@-]{2,64}$/;

/** Checks a login and password; the same answer, in the same time, for an unknown login. */
export async function authenticate(db: Db, login: string, password: string): Promise<User | null> {
  const user = login ? await q.findUserByLogin(db, login.trim()) : undefined;
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  return user && user.active && ok ? user : null;
}

/**
 * On an empty database, creates the first administrator from ADMIN_LOGIN/ADMIN_PASSWORD, or with
 * a generated password, which is returned (to be shown once, see firstAdminNotice) and never
 * logged: JSON logs are kept and shipped, and a password in them is buried and leaked at once.
 */
export async function ensureFirstAdmin(
  db: Db,
  opts: { login: string; password: string | null },
  log: FastifyBaseLogger,
): Promise<{ login: string; password: string } | null> {
  if ((await q.countUsers(db)) > 0) return null;
  const password = opts.password ?? generatePassword();
  try {
    await q.insertUser(db, { login: opts.login, name: opts.login, passwordHash: await hashPassword(password), role: 'admin' });
  } catch (err) {
    // Another instance created it at the same moment: that one shows the password.
    if ((await q.countUsers(db)) > 0) return null;
    throw err;
  }
  if (opts.password) {
    log.info({ login: opts.login }, 'created the first administrator from ADMIN_LOGIN/ADMIN_PASSWORD');
    return null;
  }
  log.warn({ login: opts.login }, 'created the first administrator with a generated password, printed once on stderr');
  return { login: opts.login, password };
}

/** The plain block a newcomer sees on the console at the first start (ru + en). */
export function firstAdminNotice(login: string, password: string, url: string): string {
  const rule = '='.repeat(72);
  return [
    '',
    rule,
    `  The first administrator was created / Создан первый администратор`,
    `    ${url}`,
    `    login / логин:     ${login}`,
    `    password / пароль: ${password}`,
    '  Shown only this once: sign in and change it (Users), or set ADMIN_PASSWORD before the first start.',
    '  Показывается только сейчас: войдите и смените его (Пользователи) или задайте ADMIN_PASSWORD до первого запуска.',
    rule,
    '',
    '',
  ].join('\n');
}

/** What the audit compares of an account; its password only ever appears as 'set' or 'generated'. */
const USER_FIELDS: readonly AuditedField[] = ['login', 'name', 'role', 'active'];

export interface UserInput {
  login?: string;
  name?: string;
  role?: string;
  password?: string;
}

function validateRole(role: string | undefined, errors: FieldErrors): Role {
  if (!ROLES.includes(role as Role)) errors.role = { key: 'validation.choose' };
  return role as Role;
}

function validatePassword(password: string | undefined, errors: FieldErrors) {
  if (!password || password.length < MIN_PASSWORD_LENGTH) {
    errors.password = { key: 'validation.passwordTooShort', params: { count: MIN_PASSWORD_LENGTH } };
  } else if (password.length > 200) {
    errors.password = { key: 'validation.tooLong', params: { count: 200 } };
  }
}

export async function createUser(db: Db, actor: User, input: UserInput): Promise<User> {
  if (actor.role !== 'admin') throw new ForbiddenError();
  const errors: FieldErrors = {};
  const login = (input.login ?? '').trim();
  const name = (input.name ?? '').trim();
  if (!LOGIN_RE.test(login)) errors.login = { key: 'validation.login' };
  if (!name) errors.name = { key: 'validation.required' };
  else if (name.length > 200) errors.name = { key: 'validation.tooLong', params: { count: 200 } };
  const role = validateRole(input.role, errors);
  validatePassword(input.password, errors);
  if (!errors.login && (await q.findUserByLogin(db, login))) errors.login = { key: 'users.loginTaken' };
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const passwordHash = await hashPassword(input.password!);
  try {
    return await db.transaction(async (tx) => {
      const user = await q.insertUser(tx, { login, name, role, passwordHash });
      await recordAudit(tx, { userId: actor.id, entityType: 'user', entityId: user.id, action: 'create', after: user, fields: USER_FIELDS });
      return user;
    });
  } catch (err) {
    // Two admins creating the same login at once: the unique index decides.
    if (await q.findUserByLogin(db, login)) throw new ValidationError({ login: { key: 'users.loginTaken' } });
    throw err;
  }
}

export interface UserUpdate {
  name?: string;
  role?: string;
  active?: boolean;
  version: number;
}

export async function updateUser(db: Db, actor: User, id: number, input: UserUpdate): Promise<User> {
  if (actor.role !== 'admin') throw new ForbiddenError();
  const existing = await q.findUserById(db, id);
  if (!existing) throw new NotFoundError();
  const errors: FieldErrors = {};
  const name = (input.name ?? '').trim();
  if (!name) errors.name = { key: 'validation.required' };
  else if (name.length > 200) errors.name = { key: 'validation.tooLong', params: { count: 200 } };
  const role = validateRole(input.role, errors);
  const active = input.active ?? false;
  // The last active administrator cannot lock everyone out of the settings.
  if (existing.role === 'admin' && existing.active && (role !== 'admin' || !active) && (await q.countActiveAdmins(db)) <= 1) {
    errors.role = { key: 'users.lastAdmin' };
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const updated = await db.transaction(async (tx) => {
    const after = await q.updateUser(tx, id, input.version, { name, role, active });
    // Deactivating is an update of `active`; an update that changed nothing records nothing.
    if (after) await recordAudit(tx, { userId: actor.id, entityType: 'user', entityId: id, action: 'update', before: existing, after, fields: USER_FIELDS });
    return after;
  });
  if (!updated) throw new ConflictError('errors.conflict.text', await q.findUserById(db, id));
  return updated;
}

/** Sets a new password (given, or generated and returned once to show the administrator). */
export async function resetPassword(db: Db, actor: User, id: number, password: string | undefined): Promise<string> {
  if (actor.role !== 'admin') throw new ForbiddenError();
  const existing = await q.findUserById(db, id);
  if (!existing) throw new NotFoundError();
  // A directory account's password lives in the directory; a local one would never be checked.
  if (existing.source !== 'local') throw new ValidationError({ password: { key: 'users.directoryPassword' } });
  const value = password && password.length > 0 ? password : generatePassword();
  const errors: FieldErrors = {};
  validatePassword(value, errors);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const passwordHash = await hashPassword(value);
  await db.transaction(async (tx) => {
    const after = await q.updateUser(tx, id, existing.version, { passwordHash });
    if (after) await recordAudit(tx, { userId: actor.id, entityType: 'user', entityId: id, action: 'update', before: { password: null }, after: { password: password ? 'set' : 'generated' }, fields: ['password'] });
  });
  return value;
}

/** A user's interface language, as the language switch stores it (a preference, not audited). */
export function setUserLocale(db: Db, id: number, locale: User['locale']) {
  return q.setUserLocale(db, id, locale);
}
