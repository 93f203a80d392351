import { count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { mailingGroups } from '../../db/schema/groups.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import { users } from '../../db/schema/users.js';
import { addMember, createGroup } from './service.js';

const DEMO_GROUPS = [
  { name: 'VIP-клиенты', mark: 'priority' as const, description: 'Постоянные клиенты с объёмом закупок выше 10 млн ₽ в год: приоритетное обслуживание и лучшие условия.' },
  { name: 'Чёрный список', mark: 'warning' as const, description: 'Нарушали договорные обязательства: только предоплата, согласование сделок с руководством.' },
  { name: 'Приоритетное обслуживание', mark: 'none' as const, description: 'Заявки обрабатываются в день поступления.' },
  { name: 'Доставка курьером', mark: 'none' as const, description: 'Предпочитают получать документы и продукцию с курьером.' },
  { name: 'Связь по электронной почте', mark: 'none' as const, description: 'Предпочтительный канал связи — e-mail.' },
];

/** Mailing groups of the demo directory, with members and reasons. Skipped when groups exist. */
export async function seedDemoGroups(db: Db): Promise<number> {
  const [{ n }] = await db.select({ n: count() }).from(mailingGroups);
  if (Number(n) > 0) return 0;
  const [actor] = await db.select().from(users).where(eq(users.login, 'secretary'));
  if (!actor) return 0;
  const people = await db.select({ id: persons.id }).from(persons).orderBy(persons.id);
  const orgs = await db.select({ id: organizations.id }).from(organizations).orderBy(organizations.id);
  let added = 0;
  // VIP and blacklist exclude each other (a blacklisted client gets no priority service either).
  const vip = new Set<string>();
  const exclusive = (gi: number, key: string) => {
    if (gi === 0 || gi === 2) vip.add(key);
    return gi === 1 && vip.has(key);
  };
  for (const [gi, spec] of DEMO_GROUPS.entries()) {
    const group = await createGroup(db, actor, spec);
    // A deterministic spread: each group takes every k-th person, a few organizations too.
    const step = [7, 23, 5, 9, 4][gi];
    for (let i = gi; i < people.length; i += step) {
      if (exclusive(gi, `p${people[i].id}`)) continue;
      const r = await addMember(db, actor, group.id, { personId: people[i].id }, { reason: gi === 1 ? 'Просрочка оплаты по договору' : 'Решение отдела продаж', documentNumbers: '' });
      if (r.status === 'added') added++;
    }
    for (let i = gi; i < orgs.length; i += step * 3) {
      if (exclusive(gi, `o${orgs[i].id}`)) continue;
      const r = await addMember(db, actor, group.id, { organizationId: orgs[i].id }, { reason: 'Решение коммерческого директора', documentNumbers: '' });
      if (r.status === 'added') added++;
    }
  }
  return added;
}
