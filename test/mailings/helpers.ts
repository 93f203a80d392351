import { eq } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { mailingGroups } from '../../src/db/schema/groups.js';
import type { User } from '../../src/db/schema/users.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { ADDRESS, makeGroup } from '../envelopes/helpers.js';

export { ADDRESS, makeGroup };

/**
 * A ШПИ with its check digit computed as Russian Post's receipts carry it (weights 3,1,3,… over
 * the first 13 digits, EAN-13 style); `serial` makes each one unique.
 */
export function tracking(serial: number, office = '620014', month = '12'): string {
  const first13 = `${office}${month}${String(serial).padStart(5, '0')}`;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(first13[i]) * (i % 2 === 0 ? 3 : 1);
  return `${first13}${(10 - (sum % 10)) % 10}`;
}

/** The same number with its check digit changed: what a typo on the last digit gives. */
export function wrongCheckDigit(n: string): string {
  return n.slice(0, 13) + String((Number(n[13]) + 1) % 10);
}

/**
 * A demo-like group: two persons with their own address, one at an organization (its address is
 * used), one without any address, an organization on a blacklist, an archived person.
 */
export async function mixedGroup(db: Db, actor: User) {
  const org = await makeOrganization(db, actor, { name: 'ООО «Ромашка»', ...ADDRESS });
  const black = await makeOrganization(db, actor, { name: 'ООО «Чёрная метка»', ...ADDRESS, addrHouse: '7' });
  const own = await makePerson(db, actor, { surname: 'Алексеев', firstName: 'Алексей', ...ADDRESS, addrStreet: 'ул. Ленина', addrHouse: '1', addrOffice: '3' });
  const atOrg = await makePerson(db, actor, { surname: 'Борисов', firstName: 'Борис', organizationId: org.id });
  const nowhere = await makePerson(db, actor, { surname: 'Васильев', firstName: 'Василий' });
  const archived = await makePerson(db, actor, { surname: 'Григорьев', firstName: 'Григорий', ...ADDRESS });
  const group = await makeGroup(db, [{ personId: own.id }, { personId: atOrg.id }, { personId: nowhere.id }, { organizationId: black.id }, { personId: archived.id }]);
  const blacklist = await makeGroup(db, [{ organizationId: black.id }]);
  await db.update(mailingGroups).set({ mark: 'warning' }).where(eq(mailingGroups.id, blacklist.id));
  const { setPersonArchived } = await import('../../src/features/persons/service.js');
  await setPersonArchived(db, actor, archived.id, true);
  return { group, org, black, own, atOrg, nowhere, archived, blacklist };
}

export const idFrom = (location: unknown) => Number(String(location).split('/').pop()?.split('?')[0]);

/** The hidden version field of the mailing's page (every change posts the version it saw). */
export function versionOf(html: string): string {
  const m = /name="version" value="(\d+)"/.exec(html);
  if (!m) throw new Error('no version field on the page');
  return m[1];
}
