import type { Db } from '../../db/client.js';
import type { Translate } from '../../i18n/index.js';
import { NotFoundError } from '../../lib/errors.js';
import { parseGrouping } from '../../lib/search/groupings.js';
import { parseSelectionOrg } from '../../lib/search/selection.js';
import { findGroup, membershipsOf } from '../groups/service.js';
import { findOrganization } from '../organizations/service.js';
import { findPerson, photoOf } from '../persons/service.js';
import { hasOwnAddress } from '../persons/model.js';
import { instanceId, keyContext, nativeKey } from '../../lib/exchange/keys.js';
import { bounds, contactsOfPersons, memberOrganizationBatches, organizationsById, personBatches, photosOf, type CardOrganization } from './queries.js';
import { ScopeSql, type ExportScope } from './scope.js';
import { streetLine, vcard, type VcardAddress, type VcardVersion } from './vcard.js';

/** Export parameters from the query string: the /contacts filter, or one group. */
export function scopeOf(q: { group?: string; group_by?: string; q?: string; org?: string; archived?: string; approx?: string }): ExportScope {
  const group = Number(q.group);
  if (Number.isInteger(group) && group > 0) return { kind: 'group', groupId: group };
  const org = parseSelectionOrg(q.org);
  const text = (q.q ?? '').trim();
  // No locator and no organization: the whole directory, archived records and history included,
  // so that an export re-imports without loss.
  if (!text && org === null) return { kind: 'all' };
  return { kind: 'selection', q: text, org, archived: q.archived === '1', groupBy: parseGrouping(q.group_by), approx: q.approx === '1' };
}

export async function assertGroupExists(db: Db, id: number) {
  if (!(await findGroup(db, id))) throw new NotFoundError();
}

type AddressParts = Record<'addrIndex' | 'addrCountry' | 'addrRegion' | 'addrDistrict' | 'addrLocality' | 'addrStreet' | 'addrHouse' | 'addrBuilding' | 'addrOffice', string>;

function cardAddress(a: AddressParts | null | undefined, t: Translate): VcardAddress | null {
  if (!a || !hasOwnAddress(a)) return null;
  return {
    street: streetLine(a, { house: t('address.house'), building: t('address.building'), office: t('address.office') }),
    locality: [a.addrLocality, a.addrDistrict].filter(Boolean).join(', '),
    region: a.addrRegion,
    index: a.addrIndex,
    country: a.addrCountry,
  };
}

/** One person's card: own address, else the organization's; the person's groups as categories. */
export async function personVcard(db: Db, id: number, t: Translate, version: VcardVersion = '3.0'): Promise<{ name: string; text: string }> {
  const p = await findPerson(db, id);
  if (!p) throw new NotFoundError();
  const [org, memberships, photo, instance] = await Promise.all([
    p.organizationId ? findOrganization(db, p.organizationId) : undefined,
    membershipsOf(db, { personId: id }),
    p.hasPhoto ? photoOf(db, id) : undefined,
    instanceId(db),
  ]);
  const own = cardAddress(p, t);
  const text = vcard({
    uid: nativeKey('person', p.id, instance),
    name: { surname: p.surname, firstName: p.firstName, patronymic: p.patronymic },
    organization: org?.name ?? '',
    jobTitle: p.jobTitle,
    phones: p.phones,
    emails: p.emails.map((e) => e.email),
    address: own ?? cardAddress(org, t),
    note: p.note,
    categories: memberships.map((m) => m.groupName),
    photoPng: photo?.thumbnail ?? null,
    updatedAt: p.updatedAt,
    gender: p.gender,
  }, version);
  return { name: [p.surname, p.firstName].filter(Boolean).join(' '), text };
}

/** The cards of a group's current members, persons then organizations, batch by batch. */
export async function* groupVcards(db: Db, groupId: number, t: Translate, opts: { photos: boolean; version?: VcardVersion }): AsyncGenerator<string> {
  const version = opts.version ?? '3.0';
  const group = await findGroup(db, groupId);
  if (!group) return;
  const keys = await keyContext(db);
  const instance = keys.instance;
  const scope = new ScopeSql({ kind: 'group', groupId }, await bounds(db));
  for await (const batch of personBatches(db, scope, keys, { photos: opts.photos, size: 500 })) {
    const ids = batch.map((p) => Number(p.id));
    const [{ phones, emails }, orgs, photos] = await Promise.all([
      contactsOfPersons(db, ids),
      organizationsById(db, batch.flatMap((p) => (p.organizationId ? [Number(p.organizationId)] : []))),
      opts.photos ? photosOf(db, batch.filter((p) => p.hasPhoto).map((p) => Number(p.id))) : Promise.resolve(new Map()),
    ]);
    let text = '';
    for (const p of batch) {
      const org: CardOrganization | undefined = p.organizationId ? orgs.get(Number(p.organizationId)) : undefined;
      text += vcard({
        uid: p.key,
        name: { surname: p.surname, firstName: p.firstName, patronymic: p.patronymic },
        organization: org?.name ?? '',
        jobTitle: p.jobTitle,
        phones: phones.get(Number(p.id)) ?? [],
        emails: emails.get(Number(p.id)) ?? [],
        address: cardAddress(p, t) ?? cardAddress(org, t),
        note: p.note,
        categories: [group.name],
        photoPng: photos.get(Number(p.id))?.thumbnail ?? null,
        updatedAt: new Date(p.updatedAt),
        gender: p.gender,
      }, version);
    }
    yield text;
  }
  for await (const batch of memberOrganizationBatches(db, scope, groupId)) {
    yield batch
      .map((o) =>
        vcard({
          uid: nativeKey('organization', Number(o.id), instance),
          name: null,
          organization: o.name,
          jobTitle: '',
          phones: o.phones ? [{ kind: 'work', number: o.phones }] : [],
          emails: o.email ? [o.email] : [],
          address: cardAddress(o, t),
          note: o.note,
          categories: [group.name],
          photoPng: null,
          updatedAt: new Date(o.updatedAt),
        }, version),
      )
      .join('');
  }
}
