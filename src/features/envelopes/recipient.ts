import { getGender, inclineLastname } from 'lvovich';
import { ADDRESS_FIELDS, type Address } from '../../db/schema/address.js';
import type { Gender } from '../../db/schema/persons.js';

export interface PersonPart extends Address {
  id: number;
  surname: string;
  firstName: string;
  patronymic: string;
  gender: Gender;
  dativeOverride: string;
  organizationId: number | null;
  archivedAt: Date | null;
}

export interface OrganizationPart extends Address {
  id: number;
  name: string;
  shortName: string;
  archivedAt: Date | null;
}

/** One addressee as read from the database: a person (with their organization) or an organization. */
export type MemberRow =
  | { person: PersonPart; personOrganization: OrganizationPart | null; organization: null }
  | { person: null; personOrganization: null; organization: OrganizationPart };

export type AddressProblem = 'noAddress' | 'noIndex' | 'badIndex' | 'noStreetOrLocality';
export type SkipReason = AddressProblem | 'archived';

export interface Addressee {
  kind: 'person' | 'organization';
  id: number;
  /** The name as on the card, for lists and the missing-address report. */
  displayName: string;
  /** "Кому": the name lines in the dative (an organization's name stays as it is). */
  nameLines: string[];
  /**
   * The same with the organization's short name, which Russian Post accepts as well: used when
   * the full name does not fit the box even at the smallest font step.
   */
  shortNameLines: string[] | null;
  address: Address | null;
  addressSource: 'person' | 'organization' | null;
  /** The person's organization, so the report can link to the card that holds the address. */
  organizationId: number | null;
  organizationName: string | null;
  /** Why no envelope is printed; null when it is. */
  problem: SkipReason | null;
}

const RUSSIA = /^(россия|российская федерация|russia|russian federation|рф)$/i;

/** Mail inside Russia: no country given, or Russia named in any usual way. */
export function isDomestic(a: Address): boolean {
  const c = a.addrCountry.trim();
  return c === '' || RUSSIA.test(c);
}

/**
 * What keeps the address from reaching a post office: Russian mail needs a six-digit index
 * (sorting machines read nothing else), every address a street or a locality to deliver to.
 * Abroad, postal codes vary and some countries have none, so only the shape is checked.
 */
export function addressProblem(a: Address): AddressProblem | null {
  if (ADDRESS_FIELDS.every((f) => a[f].trim() === '')) return 'noAddress';
  const index = a.addrIndex.trim();
  if (isDomestic(a)) {
    if (index === '') return 'noIndex';
    if (!/^\d{6}$/.test(index)) return 'badIndex';
  } else if (index !== '' && !/^[A-Za-z0-9 -]{2,12}$/.test(index)) {
    return 'badIndex';
  }
  if (a.addrStreet.trim() === '' && a.addrLocality.trim() === '') return 'noStreetOrLocality';
  return null;
}

export function isUsable(a: Address): boolean {
  return addressProblem(a) === null;
}

function addressOf(row: Address): Address {
  const a = {} as Address;
  for (const f of ADDRESS_FIELDS) a[f] = row[f];
  return a;
}

/**
 * The person's own address when it is complete, else the organization's. When neither works the
 * problem reported is the one of the address someone started to fill in, so the fix link leads there.
 */
export function resolveAddress(person: Address, organization: Address | null): { address: Address; source: 'person' | 'organization' } | { problem: AddressProblem } {
  const own = addressProblem(person);
  if (own === null) return { address: addressOf(person), source: 'person' };
  const org = organization ? addressProblem(organization) : 'noAddress';
  if (organization && org === null) return { address: addressOf(organization), source: 'organization' };
  return { problem: own !== 'noAddress' ? own : org ?? 'noAddress' };
}

function initial(name: string): string {
  // "Анна-Мария" → "А.-М."
  return name
    .split('-')
    .filter(Boolean)
    .map((part) => `${part[0].toLocaleUpperCase('ru')}.`)
    .join('-');
}

/**
 * "Кому" for a person: the surname in the dative and the initials ("Иванову И. П.", "Ивановой А. С."),
 * declined by the gender on the card or, when it is not given, the one the names suggest. A
 * non-empty override on the card wins: the library cannot know every surname.
 */
export function dativeName(p: Pick<PersonPart, 'surname' | 'firstName' | 'patronymic' | 'gender' | 'dativeOverride'>): string {
  const override = p.dativeOverride.trim();
  if (override) return override;
  const surname = p.surname.trim();
  const gender = p.gender === 'male' || p.gender === 'female' ? p.gender : getGender({ first: p.firstName, middle: p.patronymic, last: surname });
  const declined = surname ? inclineLastname(surname, 'dative', gender ?? undefined) : '';
  const initials = [p.firstName, p.patronymic].map((s) => s.trim()).filter(Boolean).map(initial).join(' ');
  return [declined, initials].filter(Boolean).join(' ');
}

function shortOf(o: OrganizationPart): string | null {
  const short = o.shortName.trim();
  return short && short !== o.name.trim() ? short : null;
}

/** The addressee of one member: name lines, the address that will be used, or why there is none. */
export function toAddressee(row: MemberRow): Addressee {
  if (row.person) {
    const p = row.person;
    const org = row.personOrganization;
    const resolved = resolveAddress(p, org);
    const usable = 'address' in resolved;
    return {
      kind: 'person',
      id: p.id,
      displayName: [p.surname, p.firstName, p.patronymic].filter(Boolean).join(' '),
      // "Organization, for the attention of the person": both lines when the person works there.
      nameLines: org ? [org.name, dativeName(p)] : [dativeName(p)],
      shortNameLines: org && shortOf(org) ? [shortOf(org)!, dativeName(p)] : null,
      address: usable ? resolved.address : null,
      addressSource: usable ? resolved.source : null,
      organizationId: org?.id ?? null,
      organizationName: org?.name ?? null,
      problem: p.archivedAt ? 'archived' : usable ? null : resolved.problem,
    };
  }
  const o = row.organization;
  const problem = addressProblem(o);
  return {
    kind: 'organization',
    id: o.id,
    displayName: o.name,
    nameLines: [o.name],
    shortNameLines: shortOf(o) ? [shortOf(o)!] : null,
    address: problem ? null : addressOf(o),
    addressSource: problem ? null : 'organization',
    organizationId: o.id,
    organizationName: o.name,
    problem: o.archivedAt ? 'archived' : problem,
  };
}
