import { ADDRESS_FIELDS, type Address } from '../../../db/schema/address.js';
import type { PhoneKind } from '../../../db/schema/persons.js';
import { cleanText } from '../../../lib/text.js';
import { isEmail } from '../../../lib/validate.js';
import { PhotoError } from '../../persons/photo/errors.js';
import { makeThumbnail } from '../../persons/photo/thumbnail.js';
import type { Address as ParsedAddress, ContactRow } from '../parse/index.js';
import type { DraftRow, PersonDraft, PhotoDraft, Problem } from '../types.js';
import { ORGANIZATION_LIMITS } from '../../organizations/model.js';
import { EMPTY_PERSON, parsedPhone, PERSON_LIMITS, PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS, THUMBNAIL_SIZE } from '../../persons/model.js';

/** The same limits as the person and organization forms, so an imported card can be saved again. */
export const LIMITS = {
  name: PERSON_LIMITS.name,
  company: ORGANIZATION_LIMITS.name,
  jobTitle: PERSON_LIMITS.jobTitle,
  dative: PERSON_LIMITS.dative,
  note: PERSON_LIMITS.note,
  website: ORGANIZATION_LIMITS.website,
  phone: PERSON_LIMITS.phone,
  category: 200,
  street: 300,
  addressPart: 200,
} as const;

const PHOTO_MIME = { bmp: 'image/bmp', png: 'image/png', jpeg: 'image/jpeg' } as const;

export const EMPTY_ADDRESS: Address = {
  addrIndex: '',
  addrCountry: '',
  addrRegion: '',
  addrDistrict: '',
  addrLocality: '',
  addrStreet: '',
  addrHouse: '',
  addrBuilding: '',
  addrOffice: '',
};

export function isEmptyAddress(a: Address | null | undefined): boolean {
  return !a || ADDRESS_FIELDS.every((f) => !a[f]);
}

/** Same place, however it was capitalised or spaced: the business address of a colleague. */
export function sameAddress(a: Address, b: Address): boolean {
  return addressKey(a) === addressKey(b);
}

/** What `sameAddress` compares: equal keys, same place. */
export function addressKey(x: Address): string {
  // By field name: addresses read back from jsonb do not keep their keys' order.
  return ADDRESS_FIELDS.map((f) => (x[f] ?? '').toLowerCase().replace(/\s+/g, ' ').trim()).join('|');
}

/** An address on one line, for a problem's detail. */
function addressLine(a: Address): string {
  return ADDRESS_FIELDS.map((f) => a[f]).filter(Boolean).join(', ');
}

/** Cuts a value to `max` characters and says so, rather than refusing the whole row. */
export function clip(value: string, max: number, field: string, problems: Problem[]): string {
  if (value.length <= max) return value;
  problems.push({ code: 'truncated', detail: field });
  return value.slice(0, max);
}

function line(v: string, max: number, field: string, problems: Problem[]): string {
  return clip(cleanText(v).replace(/\s+/g, ' '), max, field, problems);
}

export function toAddress(a: ParsedAddress | null, problems: Problem[]): Address | null {
  if (!a) return null;
  const out: Address = {
    ...EMPTY_ADDRESS,
    addrIndex: line(a.index, LIMITS.addressPart, 'addrIndex', problems),
    addrCountry: line(a.country, LIMITS.addressPart, 'addrCountry', problems),
    addrRegion: line(a.region, LIMITS.addressPart, 'addrRegion', problems),
    addrLocality: line(a.locality, LIMITS.addressPart, 'addrLocality', problems),
    addrStreet: line(a.street, LIMITS.street, 'addrStreet', problems),
  };
  return isEmptyAddress(out) ? null : out;
}

/** The more specific kind wins when one number comes twice (fax > mobile > work > home). */
const KIND_RANK: Record<string, number> = { fax: 4, mobile: 3, work: 2, home: 1, other: 0 };

/** Outlook's "other" phones (assistant, pager, callback…) have no kind of their own here. */
function phoneKind(kind: string): PhoneKind {
  return kind === 'mobile' || kind === 'fax' || kind === 'home' ? kind : 'work';
}

/**
 * Checks an embedded photo the way an upload is checked; a photo we cannot use is dropped with
 * a problem on the row, never failing the row.
 */
export async function readPhoto(bytes: Buffer, problems: Problem[]): Promise<PhotoDraft | null> {
  try {
    const thumb = await makeThumbnail(bytes, { maxBytes: PHOTO_MAX_BYTES, maxPixels: PHOTO_MAX_PIXELS, size: THUMBNAIL_SIZE });
    return { thumbnail: thumb.png, original: bytes, originalType: PHOTO_MIME[thumb.sourceType], width: thumb.width, height: thumb.height };
  } catch (err) {
    if (!(err instanceof PhotoError)) throw err;
    problems.push({ code: 'photo_rejected', detail: err.code });
    return null;
  }
}

/**
 * The embedded photo a mapped row still needs read (`readPhoto`): `mapContactRow` is pure and
 * synchronous (it runs in the parse worker), the photo is decoded afterwards by sharp.
 */
export function photoToRead(row: ContactRow, draft: DraftRow): Buffer | null {
  if (!row.photo || draft.data.kind !== 'person' || draft.data.person.organizationOnly) return null;
  return row.photo.bytes;
}

/**
 * An Outlook CSV row or a vCard as a person (or an organization-only row) to be stored. Its
 * `photo` stays null: see `photoToRead`.
 */
export function mapContactRow(row: ContactRow): DraftRow {
  const problems: Problem[] = row.problems.map((p) => ({ code: p.code, ...(p.detail ? { detail: p.detail } : {}) }));
  let surname = line(row.surname, LIMITS.name, 'surname', problems);
  let firstName = line(row.firstName, LIMITS.name, 'firstName', problems);
  const patronymic = line(row.patronymic, LIMITS.name, 'patronymic', problems);
  const company = line(row.company, LIMITS.company, 'company', problems);

  const emails: string[] = [];
  for (const e of row.emails) {
    const email = cleanText(e);
    if (isEmail(email)) emails.push(email);
    else problems.push({ code: 'invalid_email_skipped', detail: email });
  }

  // The first line of a card is mandatory: a contact with only a first name keeps it there.
  const named = Boolean(surname || firstName || patronymic);
  if (!surname && (firstName || patronymic)) {
    surname = firstName || patronymic;
    if (surname === firstName) firstName = '';
    problems.push({ code: 'surname_from_first_name' });
  } else if (!named && !company && emails.length) {
    surname = clip(emails[0], LIMITS.name, 'surname', problems);
    problems.push({ code: 'surname_from_email' });
  }
  const organizationOnly = !named && Boolean(company) && !surname;

  const phones: PersonDraft['phones'] = [];
  const byKey = new Map<string, { phone: PersonDraft['phones'][number]; kinds: Set<string>; spellings: string[] }>();
  for (const p of row.phones) {
    const number = cleanText(p.number);
    if (!number) continue;
    if (number.length > LIMITS.phone) {
      problems.push({ code: 'phone_skipped', detail: number.slice(0, 60) });
      continue;
    }
    const parsed = parsedPhone(number);
    if (!parsed) problems.push({ code: 'phone_unrecognized', detail: number });
    // One number in two spellings (8 916… and +7 916…) is stored once, with its most specific kind.
    const key = parsed?.e164 ?? number.replace(/\D+/g, '');
    const same = byKey.get(key);
    if (same) {
      same.kinds.add(p.kind);
      if (!same.spellings.includes(number)) same.spellings.push(number);
      if (KIND_RANK[p.kind] > KIND_RANK[same.phone.kind]) same.phone.kind = phoneKind(p.kind);
      continue;
    }
    const phone = { kind: phoneKind(p.kind), number };
    byKey.set(key, { phone, kinds: new Set([p.kind]), spellings: [number] });
    phones.push(phone);
  }
  for (const { phone, kinds, spellings } of byKey.values()) {
    // The parser's note on this number (same digits listed with several kinds), if any, is redone here.
    const at = problems.findIndex((x) => x.code === 'phone_kinds_merged' && x.detail?.startsWith(`${phone.number}: `));
    const noted = at >= 0 ? problems.splice(at, 1)[0].detail!.slice(phone.number.length + 2).split(', ') : [];
    const named = [...new Set([...kinds, ...noted])].filter((k) => k !== 'other').sort((a, b) => KIND_RANK[b] - KIND_RANK[a]);
    if (named.length > 1) problems.push({ code: 'phone_kinds_merged', detail: `${spellings.join(' = ')}: ${named.join(', ')}` });
    else if (spellings.length > 1) problems.push({ code: 'phone_spellings_merged', detail: spellings.join(' = ') });
  }
  const jobTitle = line([row.jobTitle, row.department].map((s) => s.trim()).filter(Boolean).join(', '), LIMITS.jobTitle, 'jobTitle', problems);
  const note = clip(cleanText(row.notes, { multiline: true }), LIMITS.note, 'note', problems);
  const categories = row.categories.map((c) => line(c, LIMITS.category, 'categories', problems)).filter(Boolean);
  const businessAddress = toAddress(row.businessAddress, problems);
  const homeAddress = toAddress(row.homeAddress, problems);

  // Without an organization the home address is the only postal address there is; with one,
  // envelopes go to the office, so a home address would send them to the wrong door.
  let address = EMPTY_ADDRESS;
  if (!company && homeAddress) address = homeAddress;
  else if (homeAddress) problems.push({ code: 'home_address_skipped', detail: addressLine(homeAddress) });
  if (!company && businessAddress && isEmptyAddress(address)) address = businessAddress;
  else if (!company && businessAddress && addressKey(businessAddress) !== addressKey(address)) problems.push({ code: 'business_address_skipped', detail: addressLine(businessAddress) });

  const webPage = line(row.webPage, LIMITS.website, 'webPage', problems);
  if (webPage && !company) problems.push({ code: 'web_page_skipped', detail: webPage });

  if (organizationOnly && row.photo && !problems.some((x) => x.code === 'logo_skipped')) problems.push({ code: 'logo_skipped' });
  if (organizationOnly && emails.length > 1) problems.push({ code: 'extra_email_skipped', detail: emails.slice(1).join(', ') });
  const dropped = row.dropped ?? [];
  if (dropped.length) problems.push({ code: row.droppedFrom === 'properties' ? 'properties_dropped' : 'columns_dropped', count: dropped.length, detail: dropped.map((d) => `${d.column}: ${d.value}`).join('; ') });

  const person: PersonDraft = {
    ...EMPTY_PERSON,
    key: null,
    surname,
    firstName,
    patronymic,
    jobTitle,
    gender: row.gender,
    note,
    address,
    phones,
    emails,
    archivedAt: null,
    organization: company ? { name: company } : null,
    businessAddress: company ? businessAddress : null,
    webPage: company ? webPage : '',
    categories,
    organizationOnly,
    organizationPhones: organizationOnly ? phones.map((p) => p.number).join(', ').slice(0, 500) : '',
    organizationEmail: organizationOnly ? (emails[0] ?? '') : '',
  };
  return { line: row.line, data: { kind: 'person', person }, problems, photo: null };
}
