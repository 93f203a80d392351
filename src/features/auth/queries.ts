import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { users, type Role, type User } from '../../db/schema/users.js';

/** Directory accounts never sign in with a local password: this is no scrypt hash. */
export const NO_LOCAL_PASSWORD = '!directory';

export function findUserByExternalDn(db: Db, dn: string): Promise<User | undefined> {
  return db
    .select()
    .from(users)
    .where(sql`lower(${users.externalDn}) = lower(${dn})`)
    .then((r) => r[0]);
}

export function findAccountByLogin(db: Db, login: string): Promise<User | undefined> {
  return db
    .select()
    .from(users)
    .where(sql`lower(${users.login}) = lower(${login})`)
    .then((r) => r[0]);
}

export interface DirectoryFields {
  login: string;
  name: string;
  email: string | null;
  role: Role;
  externalDn: string;
}

export function insertDirectoryUser(db: Db, values: DirectoryFields): Promise<User> {
  return db
    .insert(users)
    .values({ ...values, source: 'ldap', passwordHash: NO_LOCAL_PASSWORD, checkedAt: new Date() })
    .returning()
    .then((r) => r[0]);
}

/** What the directory says now; the version moves on only when something the admin sees changed. */
export function refreshDirectoryUser(db: Db, user: User, values: Omit<DirectoryFields, 'login'>): Promise<User> {
  const changed = user.name !== values.name || user.email !== values.email || user.role !== values.role || user.externalDn !== values.externalDn;
  return db
    .update(users)
    .set({
      ...values,
      checkedAt: new Date(),
      ...(changed ? { version: sql`${users.version} + 1`, updatedAt: new Date() } : {}),
    })
    .where(eq(users.id, user.id))
    .returning()
    .then((r) => r[0]);
}
