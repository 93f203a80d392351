/**
 * vCard 3.0 (RFC 2426) writer: UTF-8, CRLF line ends, text values escaped (backslash, comma,
 * semicolon, newline) and lines folded at 75 octets without splitting a UTF-8 character, which
 * phones and mail clients (and our own import) read back.
 */
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
}

const TEL_TYPES: Record<string, string> = { work: 'WORK,VOICE', mobile: 'CELL,VOICE', fax: 'WORK,FAX', home: 'HOME,VOICE' };

export function vcard(c: VcardContact): string {
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

/** A street line from the address parts the directory keeps apart. */
export function streetLine(a: { addrStreet: string; addrHouse: string; addrBuilding: string; addrOffice: string }, words: { house: string; building: string; office: string }): string {
  return [a.addrStreet, a.addrHouse && `${words.house} ${a.addrHouse}`, a.addrBuilding && `${words.building} ${a.addrBuilding}`, a.addrOffice && `${words.office} ${a.addrOffice}`].filter(Boolean).join(', ');
}

/** Content-Disposition for a download whose name may be Cyrillic (RFC 6266 / 5987). */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
