import { asc, count, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { users, type Role, type User } from '../../db/schema/users.js';

export function findUserByLogin(db: Db, login: string): Promise<User | undefined> {
  return db
    .select()
    .from(users)
    .where(sql`lower(${users.login}) = lower(${login})`)
    .then((r) => r[0]);
}

export function findUserById(db: Db, id: number): Promise<User | undefined> {
  return db.select().from(users).where(eq(users.id, id)).then((r) => r[0]);
}

export function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(asc(users.login));
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return Number(row.n);
}

export async function countActiveAdmins(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(sql`${users.role} = 'admin' and ${users.active}`);
  return Number(row.n);
}

export function insertUser(db: Db | Tx, values: { login: string; name: string; passwordHash: string; role: Role }) {
  return db.insert(users).values(values).returning().then((r) => r[0]);
}

export function updateUser(db: Db | Tx, id: number, version: number, values: Partial<Pick<User, 'name' | 'role' | 'active' | 'passwordHash' | 'locale'>>) {
  return db
    .update(users)
    .set({ ...values, version: sql`${users.version} + 1`, updatedAt: new Date() })
    .where(sql`${users.id} = ${id} and ${users.version} = ${version}`)
    .returning()
    .then((r) => r[0]);
}

export function setUserLocale(db: Db, id: number, locale: User['locale']) {
  return db.update(users).set({ locale }).where(eq(users.id, id));
}
