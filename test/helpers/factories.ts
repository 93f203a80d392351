import type { Db } from '../../src/db/client.js';
import type { User } from '../../src/db/schema/users.js';
import { createOrganization, type OrganizationInput } from '../../src/features/organizations/service.js';
import { createPerson, type PersonInput } from '../../src/features/persons/service.js';
import { registerDocument, type DocumentInput } from '../../src/features/documents/service.js';
import type { UploadedFile } from '../../src/features/documents/files.js';

let seq = 0;
const unique = () => `${Date.now().toString(36)}${(++seq).toString(36)}`;

const EMPTY_ADDRESS = {
  addrIndex: '', addrCountry: '', addrRegion: '', addrDistrict: '', addrLocality: '', addrStreet: '', addrHouse: '', addrBuilding: '', addrOffice: '',
};

/** An organization with a unique name unless one is given. */
export function makeOrganization(db: Db, actor: User, over: Partial<OrganizationInput> = {}) {
  return createOrganization(db, actor, {
    name: `ООО «Тест ${unique()}»`,
    shortName: '',
    inn: '',
    regionId: null,
    activityId: null,
    categoryId: null,
    ...EMPTY_ADDRESS,
    phones: '',
    email: '',
    website: '',
    note: '',
    ...over,
  });
}

export function makePerson(db: Db, actor: User, over: Partial<PersonInput> = {}) {
  return createPerson(db, actor, {
    surname: `Тестов${unique()}`,
    firstName: 'Иван',
    patronymic: 'Иванович',
    influence: 0,
    organizationId: null,
    jobTitle: '',
    gender: 'unspecified',
    dativeOverride: '',
    note: '',
    ...EMPTY_ADDRESS,
    phones: [],
    emails: [],
    ...over,
  });
}

/** A registered document (incoming, dated today, subject unique) for the given counterparty. */
export function makeDocument(db: Db, actor: User, over: Partial<DocumentInput> & ({ organizationId: number } | { personId: number }), files: UploadedFile[] = []) {
  return registerDocument(
    db,
    actor,
    {
      direction: 'incoming',
      regDate: new Date().toISOString().slice(0, 10),
      senderNumber: '',
      senderDate: null,
      subject: `Письмо ${unique()}`,
      summary: '',
      note: '',
      organizationId: null,
      personId: null,
      ...over,
    },
    files,
  );
}
