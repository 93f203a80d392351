import type { Address, ContactRow, PhoneKind } from './types.js';

/** CRLF and lone CR become LF. */
export function normalizeNewlines(s: string): string {
  return s.indexOf('\r') < 0 ? s : s.replace(/\r\n?/g, '\n');
}

/** Collapse whitespace (including line breaks) into single spaces and trim. */
export function oneLine(s: string): string {
  const t = s.trim();
  return /\s\s|[^\S ]/.test(t) ? t.replace(/\s+/g, ' ') : t;
}

/**
 * E-mail addresses a parsed contact row keeps: Outlook's contact has three (E-mail, E-mail 2 and
 * E-mail 3 Address), and every format is read into that shape. A format fact, not the card's
 * limit (persons/model.ts MAX_EMAILS).
 */
export const CONTACT_ROW_EMAILS = 3;

/** X.500 / Exchange legacy DN such as `/o=Org/ou=Exchange Administrative Group/cn=...`. */
export function looksLikeX500(value: string): boolean {
  return /^\/(o|ou|cn)=/i.test(value);
}

/**
 * Add an SMTP address to the row: deduplicated case-insensitively, at most three; anything
 * that is not an address is reported instead.
 */
export function addEmail(row: ContactRow, raw: string): void {
  const value = raw.trim().replace(/^mailto:/i, '');
  if (value === '') return;
  if (looksLikeX500(value)) {
    row.problems.push({ code: 'exchange_email_skipped', detail: value });
    return;
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(value)) {
    row.problems.push({ code: 'invalid_email_skipped', detail: value });
    return;
  }
  const lower = value.toLowerCase();
  if (row.emails.some((e) => e.toLowerCase() === lower)) return;
  if (row.emails.length >= CONTACT_ROW_EMAILS) {
    row.problems.push({ code: 'extra_email_skipped', detail: value });
    return;
  }
  row.emails.push(value);
}

/** The more specific kind wins when one number is listed under several (fax > mobile > work > home). */
const KIND_RANK: Record<PhoneKind, number> = { fax: 4, mobile: 3, work: 2, home: 1, other: 0 };

/**
 * Add a phone; the same digits listed again (Android lists one number as mobile, work and fax) are
 * stored once, with the most specific kind, and the other kinds noted on the row ("other" — e.g.
 * Outlook's "Primary Phone" repeating the business one — says nothing and is not noted).
 */
export function addPhone(row: ContactRow, kind: PhoneKind, raw: string): void {
  const number = oneLine(raw);
  if (number === '') return;
  // The same spelling: one number. Other spellings of it (8 916… / +7 916…) are united, and noted,
  // where the numbers are parsed (import/read/mapping.ts).
  const key = number.toLowerCase();
  const same = row.phones.find((p) => p.number.toLowerCase() === key);
  if (!same) {
    row.phones.push({ kind, number });
    return;
  }
  if (same.kind === kind || kind === 'other' || same.kind === 'other') {
    if (KIND_RANK[kind] > KIND_RANK[same.kind]) same.kind = kind;
    return;
  }
  const kinds = new Set<PhoneKind>([same.kind, kind]);
  const note = row.problems.find((p) => p.code === 'phone_kinds_merged' && p.detail?.startsWith(`${same.number}: `));
  if (note) for (const k of note.detail!.slice(same.number.length + 2).split(', ')) kinds.add(k as PhoneKind);
  if (KIND_RANK[kind] > KIND_RANK[same.kind]) same.kind = kind;
  const detail = `${same.number}: ${[...kinds].sort((a, b) => KIND_RANK[b] - KIND_RANK[a]).join(', ')}`;
  if (note) note.detail = detail;
  else row.problems.push({ code: 'phone_kinds_merged', detail });
}

/** Add categories (already split), trimmed, deduplicated case-insensitively. */
export function addCategories(row: ContactRow, parts: Iterable<string>): void {
  for (const part of parts) {
    const c = oneLine(part);
    if (c === '') continue;
    const lower = c.toLowerCase();
    if (row.categories.some((x) => x.toLowerCase() === lower)) continue;
    row.categories.push(c);
  }
}

/** Join non-empty street parts with ", " (line breaks inside a part also become ", "). */
export function joinStreet(parts: string[]): string {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '') continue;
    for (const piece of normalizeNewlines(p).split('\n')) {
      const t = oneLine(piece);
      if (t !== '') out.push(t);
    }
  }
  return out.join(', ');
}

export function makeAddress(a: Address): Address | null {
  const addr: Address = {
    index: oneLine(a.index),
    country: oneLine(a.country),
    region: oneLine(a.region),
    locality: oneLine(a.locality),
    street: a.street.trim(),
  };
  if (addr.index === '' && addr.country === '' && addr.region === '' && addr.locality === '' && addr.street === '') {
    return null;
  }
  return addr;
}

export function parseGenderWord(raw: string): 'unspecified' | 'male' | 'female' {
  const v = raw.trim().toLowerCase();
  if (v === 'male' || v === 'm' || v.startsWith('муж')) return 'male';
  if (v === 'female' || v === 'f' || v.startsWith('жен')) return 'female';
  return 'unspecified';
}

/** Final per-row checks shared by both formats. */
export function finishRow(row: ContactRow): ContactRow {
  if (row.surname === '' && row.firstName === '' && row.patronymic === '' && row.company === '' && row.emails.length === 0) {
    row.problems.push({ code: 'no_name' });
  }
  return row;
}

/** Image type from magic bytes; `null` when unrecognised. */
export function sniffImageMime(b: Uint8Array): string | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'image/gif';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  if (
    b.length >= 12 &&
    b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
    b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50
  ) {
    return 'image/webp';
  }
  return null;
}

/** vCard TYPE hints ("JPEG", "image/png", "GIF"...) as a MIME type. */
export function mimeFromTypeHint(hint: string): string | null {
  const h = hint.trim().toLowerCase();
  if (h === '') return null;
  if (h.includes('/')) return h;
  if (h === 'jpeg' || h === 'jpg' || h === 'pjpeg') return 'image/jpeg';
  if (h === 'png' || h === 'gif' || h === 'bmp' || h === 'webp' || h === 'tiff') return `image/${h}`;
  return null;
}

const PATRONYMIC = /(вич|вна|ична|инична|ьич)$/i;

/** Name parts from FN when N is missing or empty. */
/** A full name ("Иванов Иван Иванович", "John Smith") split into the name parts, with a note. */
export function nameFromFullName(fn: string, row: ContactRow, surnameFirst = false): void {
  const words = fn.split(' ').filter((w) => w !== '');
  if (words.length === 0) return;
  if (words.length === 1) {
    row.surname = words[0];
  } else if (words.length === 2 && surnameFirst) {
    [row.surname, row.firstName] = words;
  } else if (words.length === 2) {
    row.firstName = words[0];
    row.surname = words[1];
  } else if (words.length === 3 && PATRONYMIC.test(words[2])) {
    [row.surname, row.firstName, row.patronymic] = words;
  } else if (words.length === 3 && PATRONYMIC.test(words[1])) {
    [row.firstName, row.patronymic, row.surname] = words;
  } else {
    row.firstName = words[0];
    row.surname = words.slice(1).join(' ');
  }
  row.problems.push({ code: 'name_from_fn', detail: fn });
}

