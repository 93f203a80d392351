import type { Db } from '../../db/client.js';
import type { User } from '../../db/schema/users.js';
import { innWithChecksum } from '../organizations/model.js';
import type { OrganizationInput } from '../organizations/model.js';
import { createOrganization } from '../organizations/service.js';
import { EMPTY_PERSON, type PersonInput } from '../persons/model.js';
import { createPerson } from '../persons/service.js';

const NO_ADDRESS = { addrIndex: '', addrCountry: '', addrRegion: '', addrDistrict: '', addrLocality: '', addrStreet: '', addrHouse: '', addrBuilding: '', addrOffice: '' };

function org(over: Partial<OrganizationInput> & { name: string }): OrganizationInput {
  return { shortName: '', inn: '', regionId: null, activityId: null, categoryId: null, ...NO_ADDRESS, phones: '', email: '', website: '', note: '', ...over };
}

/** The same company registered twice, under its Russian and its English name: the same INN. */
const ROMASHKA_INN = innWithChecksum('770912345');

function person(over: Partial<PersonInput> & { surname: string }): PersonInput {
  return { ...EMPTY_PERSON, organizationId: null, ...NO_ADDRESS, phones: [], emails: [], ...over };
}

/**
 * What a directory fed for years by several secretaries and imports looks like: the same company
 * three times (ООО «Ромашка», «Ромашка», Romashka LLC) and the same people twice under two
 * spellings, for the duplicates page (/duplicates) to find and merge.
 */
export async function seedDemoDuplicates(db: Db, actor: User): Promise<void> {
  const address = { ...NO_ADDRESS, addrIndex: '125009', addrCountry: 'Россия', addrLocality: 'Москва', addrStreet: 'ул. Тверская', addrHouse: '7' };
  const a = await createOrganization(db, actor, org({ name: 'ООО «Ромашка»', shortName: 'Ромашка', inn: ROMASHKA_INN, ...address, phones: '+7 (495) 700-10-20', email: 'info@romashka.ru', website: 'www.romashka.ru' }));
  const b = await createOrganization(db, actor, org({ name: '«Ромашка»', phones: '8 495 700 10 20', website: 'https://romashka.ru/', note: 'Заведена при импорте из Outlook.' }));
  await createOrganization(db, actor, org({ name: 'Romashka LLC', inn: ROMASHKA_INN, email: 'office@romashka.ru', note: 'Для англоязычной переписки.' }));
  await createPerson(db, actor, person({
    surname: 'Королёв', firstName: 'Дмитрий', patronymic: 'Сергеевич', organizationId: a.id, jobTitle: 'Генеральный директор', gender: 'male',
    phones: [{ kind: 'work', number: '+7 (495) 700-10-21' }], emails: ['d.korolev@romashka.ru'],
  }));
  await createPerson(db, actor, person({
    surname: 'Королев', firstName: 'Д. С.', organizationId: a.id, jobTitle: 'Директор',
    phones: [{ kind: 'mobile', number: '8 916 555-12-34' }, { kind: 'work', number: '8 495 700 10 21' }],
  }));
  await createPerson(db, actor, person({
    surname: 'Белова', firstName: 'Анна', patronymic: 'Игоревна', organizationId: a.id, jobTitle: 'Главный бухгалтер', gender: 'female', emails: ['a.belova@romashka.ru'],
  }));
  await createPerson(db, actor, person({
    surname: 'Белова', firstName: 'Анна', organizationId: b.id, jobTitle: 'Бухгалтер', emails: ['A.Belova@Romashka.ru'], note: 'Из старой адресной книги.',
  }));
}
