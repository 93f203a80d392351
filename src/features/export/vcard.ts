import { parsePhone } from '../../lib/validate.js';

/**
 * vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) writer: UTF-8, CRLF line ends, text values escaped
 * (backslash, comma, semicolon, newline) and lines folded at 75 octets without splitting a UTF-8
 * character, which phones and mail clients (and our own import) read back.
 */
export const VCARD_VERSIONS = ['3.0', '4.0'] as const;
export type VcardVersion = (typeof VCARD_VERSIONS)[number];

const CRLF = '\r\n';
const MAX_OCTETS = 75;

export function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
}

/** Folds one content line: continuation lines start with a space and count it in their 75 octets. */
export function foldLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= MAX_OCTETS) return line;
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  let limit = MAX_OCTETS;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (octets + n > limit) {
      parts.push(current);
      current = '';
      octets = 0;
      limit = MAX_OCTETS - 1;
    }
    current += ch;
    octets += n;
  }
  parts.push(current);
  return parts.join(`${CRLF} `);
}

export interface VcardAddress {
  street: string;
  locality: string;
  region: string;
  index: string;
  country: string;
}

export interface VcardContact {
  uid: string;
  /** Person: surname, first name, patronymic; an organization's card has none. */
  name: { surname: string; firstName: string; patronymic: string } | null;
  organization: string;
  jobTitle: string;
  phones: { kind: string; number: string }[];
  emails: string[];
  address: VcardAddress | null;
  note: string;
  categories: string[];
  photoPng: Buffer | null;
  updatedAt: Date | null;
  /** Written by vCard 4.0 only (3.0 has no such property). */
  gender?: 'unspecified' | 'female' | 'male';
}

const TEL_TYPES: Record<string, string> = { work: 'WORK,VOICE', mobile: 'CELL,VOICE', fax: 'WORK,FAX', home: 'HOME,VOICE' };

export function vcard(c: VcardContact, version: VcardVersion = '3.0'): string {
  return version === '4.0' ? vcard4(c) : vcard3(c);
}

function vcard3(c: VcardContact): string {
  const lines: string[] = ['BEGIN:VCARD', 'VERSION:3.0'];
  if (c.name) {
    const { surname, firstName, patronymic } = c.name;
    lines.push(`N:${[surname, firstName, patronymic, '', ''].map(escapeText).join(';')}`);
    lines.push(`FN:${escapeText([surname, firstName, patronymic].filter(Boolean).join(' '))}`);
  } else {
    // An organization's own card: N is required in 3.0 but has no person to name.
    lines.push('N:;;;;', `FN:${escapeText(c.organization)}`, 'X-ABShowAs:COMPANY');
  }
  if (c.organization) lines.push(`ORG:${escapeText(c.organization)}`);
  if (c.jobTitle) lines.push(`TITLE:${escapeText(c.jobTitle)}`);
  for (const p of c.phones) lines.push(`TEL;TYPE=${TEL_TYPES[p.kind] ?? 'VOICE'}:${escapeText(p.number)}`);
  c.emails.forEach((e, i) => lines.push(`EMAIL;TYPE=INTERNET${i === 0 ? ',PREF' : ''}:${escapeText(e)}`));
  if (c.address) {
    const a = c.address;
    lines.push(`ADR;TYPE=WORK,POSTAL:${['', '', a.street, a.locality, a.region, a.index, a.country].map(escapeText).join(';')}`);
  }
  if (c.note) lines.push(`NOTE:${escapeText(c.note)}`);
  if (c.categories.length) lines.push(`CATEGORIES:${c.categories.map(escapeText).join(',')}`);
  if (c.photoPng) lines.push(`PHOTO;ENCODING=b;TYPE=PNG:${c.photoPng.toString('base64')}`);
  if (c.updatedAt) lines.push(`REV:${c.updatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
  lines.push(`UID:${escapeText(c.uid)}`, 'END:VCARD');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

// RFC 6350 6.4.1: lower-case type words; "cell" is a mobile, "voice" a spoken line.
const TEL_TYPES_4: Record<string, string> = { work: 'work,voice', mobile: 'cell,voice', fax: 'work,fax', home: 'home,voice' };
/** A number written only with the characters a dialled number has (no extension, no words). */
const PLAIN_NUMBER = /^\+?[\d\s().-]+$/;

/**
 * TEL in 4.0 SHOULD be a "tel:" URI (RFC 6350 6.4.1, RFC 3966): a plain number that parses to
 * E.164 becomes one; anything else ("доб. 12", letters) stays the free-form text 4.0 allows, so
 * nothing typed is lost.
 */
function tel4(kind: string, number: string): string {
  const types = TEL_TYPES_4[kind] ?? 'voice';
  const parsed = PLAIN_NUMBER.test(number) ? parsePhone(number) : null;
  return parsed ? `TEL;VALUE=uri;TYPE=${types}:tel:${parsed.e164}` : `TEL;VALUE=text;TYPE=${types}:${text4(number)}`;
}

/**
 * A single text value in 4.0 (RFC 6350 3.3, 3.4): backslash, comma and newline escaped; "\;" is no
 * escape there (a semicolon is escaped only in the components of N, ADR and ORG).
 */
function text4(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
}

/** A timestamp as RFC 6350 4.3.5 writes it: basic ISO 8601, UTC. */
function timestamp4(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * vCard 4.0 (RFC 6350): VERSION right after BEGIN, FN required and N optional (an organization's
 * card is KIND:org), TYPE values in lower case, PREF=1 for the first e-mail, PHOTO as a data: URI,
 * REV as a basic-format timestamp, UID as text (our keys are not URIs) with VALUE=text.
 */
function vcard4(c: VcardContact): string {
  const lines: string[] = ['BEGIN:VCARD', 'VERSION:4.0'];
  if (c.name) {
    const { surname, firstName, patronymic } = c.name;
    lines.push(`FN:${text4([surname, firstName, patronymic].filter(Boolean).join(' '))}`);
    lines.push(`N:${[surname, firstName, patronymic, '', ''].map(escapeText).join(';')}`);
    if (c.gender === 'female' || c.gender === 'male') lines.push(`GENDER:${c.gender === 'female' ? 'F' : 'M'}`);
  } else {
    lines.push('KIND:org', `FN:${text4(c.organization)}`);
  }
  if (c.organization) lines.push(`ORG:${escapeText(c.organization)}`);
  if (c.jobTitle) lines.push(`TITLE:${text4(c.jobTitle)}`);
  for (const p of c.phones) lines.push(tel4(p.kind, p.number));
  c.emails.forEach((e, i) => lines.push(`EMAIL${i === 0 ? ';PREF=1' : ''}:${text4(e)}`));
  if (c.address) {
    const a = c.address;
    lines.push(`ADR;TYPE=work:${['', '', a.street, a.locality, a.region, a.index, a.country].map(escapeText).join(';')}`);
  }
  if (c.note) lines.push(`NOTE:${text4(c.note)}`);
  if (c.categories.length) lines.push(`CATEGORIES:${c.categories.map(text4).join(',')}`);
  if (c.photoPng) lines.push(`PHOTO:data:image/png;base64,${c.photoPng.toString('base64')}`);
  if (c.updatedAt) lines.push(`REV:${timestamp4(c.updatedAt)}`);
  lines.push(`UID;VALUE=text:${text4(c.uid)}`, 'END:VCARD');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

/** A street line from the address parts the directory keeps apart. */
export function streetLine(a: { addrStreet: string; addrHouse: string; addrBuilding: string; addrOffice: string }, words: { house: string; building: string; office: string }): string {
  return [a.addrStreet, a.addrHouse && `${words.house} ${a.addrHouse}`, a.addrBuilding && `${words.building} ${a.addrBuilding}`, a.addrOffice && `${words.office} ${a.addrOffice}`].filter(Boolean).join(', ');
}
