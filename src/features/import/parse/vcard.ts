import { isUtf8 } from 'node:buffer';
import {
  addCategories,
  addEmail,
  addPhone,
  finishRow,
  joinStreet,
  makeAddress,
  mimeFromTypeHint,
  nameFromFullName,
  normalizeNewlines,
  oneLine,
  parseGenderWord,
  sniffImageMime,
} from './common.js';
import { bytesDecoderFor, codepageStatistics, decodeText, type BytesDecoder, type SingleByteCodepage } from './decode.js';
import {
  checkRowLimit,
  emptyRow,
  ParseError,
  type Address,
  type ContactRow,
  type FileProblem,
  type ParseLimits,
  type PhoneKind,
  type RowProblem,
  type TextEncodingName,
} from './types.js';

/**
 * Own vCard 2.1 / 3.0 / 4.0 decoder, written for Outlook's 2.1 output (quoted-printable,
 * per-property CHARSET=windows-1251, raw 8-bit values in the system code page, base64 photos
 * folded over many lines) as well as RFC 2426 / RFC 6350 files.
 *
 * The file is handled as bytes: it is read as a Latin-1 string (one char per byte), so the
 * structure (lines, names, parameters) is parsed on ASCII and every value is turned back into
 * its exact bytes before the property's own charset decodes it.
 */

export interface VcardResult {
  format: 'vcard';
  /** BOM kind, else 'utf-8' when the whole file is valid UTF-8, else the charset its 8-bit values were read in. */
  encoding: string;
  /** How the 8-bit values were read: each charset, declared or decided by statistics, and how often. */
  charsets: { charset: string; how: 'declared' | 'statistics'; count: number }[];
  /** Distinct VERSION values in order of first appearance. */
  version: string[];
  rows: ContactRow[];
  problems: FileProblem[];
}

/** One property after unfolding: raw value still in Latin-1 "byte string" form. */
export interface VcardProperty {
  group: string;
  /** Upper-case property name. */
  name: string;
  /** Upper-case parameter names; values unquoted. TYPE values are split on commas. */
  params: Map<string, string[]>;
  raw: string;
  line: number;
}

const ENCODING_WORDS = new Set(['QUOTED-PRINTABLE', 'BASE64', 'B', '8BIT', '7BIT']);

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Case-insensitive whole-line match of e.g. BEGIN:VCARD, ignoring surrounding blanks. */
function isMarker(line: string, marker: string): boolean {
  if (line.length < marker.length || line.length > marker.length + 8) return false;
  return line.trim().toUpperCase() === marker;
}

function splitLines(text: string): string[] {
  const sep = text.indexOf('\n') >= 0 ? '\n' : '\r';
  const parts = text.split(sep);
  if (sep === '\n') {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.length > 0 && p.charCodeAt(p.length - 1) === 0x0d) parts[i] = p.slice(0, -1);
    }
  }
  return parts;
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function addParam(params: Map<string, string[]>, key: string, value: string): void {
  const list = params.get(key);
  if (list === undefined) params.set(key, [value]);
  else list.push(value);
}

/** Parse `group.NAME;params:` up to the first colon outside quotes; null when there is none. */
function parseHeader(
  line: string,
): { group: string; name: string; params: Map<string, string[]>; valueStart: number } | null {
  let inQuotes = false;
  const segments: string[] = [];
  let segStart = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22) inQuotes = !inQuotes;
    else if (!inQuotes && (c === 0x3b || c === 0x3a)) {
      segments.push(line.slice(segStart, i));
      segStart = i + 1;
      if (c === 0x3a) {
        const fullName = segments[0].trim();
        const dot = fullName.indexOf('.');
        const params = new Map<string, string[]>();
        for (let s = 1; s < segments.length; s++) {
          const seg = segments[s].trim();
          if (seg === '') continue;
          const eq = seg.indexOf('=');
          if (eq < 0) {
            const word = seg.toUpperCase();
            addParam(params, ENCODING_WORDS.has(word) ? 'ENCODING' : 'TYPE', word);
            continue;
          }
          const key = seg.slice(0, eq).trim().toUpperCase();
          const value = seg.slice(eq + 1);
          if (key === 'TYPE') {
            // TYPE=a,b  TYPE="a,b"  TYPE="a","b"
            for (const part of value.split(',')) {
              const t = part.trim().replace(/^"|"$/g, '').trim();
              if (t !== '') addParam(params, key, t.toUpperCase());
            }
          } else {
            addParam(params, key, unquote(value));
          }
        }
        return {
          group: dot >= 0 ? fullName.slice(0, dot) : '',
          name: (dot >= 0 ? fullName.slice(dot + 1) : fullName).toUpperCase(),
          params,
          valueStart: i + 1,
        };
      }
    }
  }
  return null;
}

function encodingOf(params: Map<string, string[]>): string {
  const e = params.get('ENCODING');
  return e === undefined ? '' : e[0].toUpperCase();
}

function isBase64Line(s: string): boolean {
  const t = s.trim();
  if (t === '') return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x2b || c === 0x2f || c === 0x3d;
    if (!ok) return false;
  }
  return true;
}

/**
 * Logical properties of one card (lines between BEGIN and END, exclusive).
 *
 * For each property: quoted-printable soft line breaks (`=` at the end of a line) are joined
 * first, raw, whatever the next line starts with; then ordinary folding applies (a line
 * starting with a space or tab continues the previous one: RFC 2425/6350 drop that one
 * character, vCard 2.1 / RFC 822 keeps it). A 2.1 base64 value may also continue on
 * unindented base64 lines up to the blank line that ends it.
 */
export function unfoldCard(lines: string[], lineNumbers: number[], version: string): VcardProperty[] {
  const is21 = version.startsWith('2');
  const props: VcardProperty[] = [];
  const n = lines.length;
  let k = 0;
  while (k < n) {
    let cur = lines[k];
    const startLine = lineNumbers[k];
    k++;
    if (isBlank(cur)) continue;
    let header = parseHeader(cur);
    for (;;) {
      const enc = header === null ? '' : encodingOf(header.params);
      if (enc === 'QUOTED-PRINTABLE' && cur.endsWith('=') && k < n) {
        cur = cur.slice(0, -1) + lines[k];
        k++;
        continue;
      }
      if (k < n && lines[k].length > 0 && (lines[k][0] === ' ' || lines[k][0] === '\t')) {
        cur += is21 ? lines[k] : lines[k].slice(1);
        k++;
        if (header === null) header = parseHeader(cur);
        continue;
      }
      if (is21 && (enc === 'BASE64' || enc === 'B')) {
        if (k < n && isBase64Line(lines[k])) {
          cur += lines[k];
          k++;
          continue;
        }
      }
      break;
    }
    if (header === null) continue; // not a property (no colon): ignored
    let raw = cur.slice(header.valueStart);
    if (header.name === 'ADR') raw = separateLabel(raw, header.params);
    props.push({
      group: header.group,
      name: header.name,
      params: header.params,
      raw,
      line: startLine,
    });
  }
  return props;
}

/**
 * An ADR whose LABEL parameter was written unquoted with colons in it (`LABEL=Street 1, BHG01:^n…:`)
 * ends its header at the label's first colon, and the rest of the label would become the PO box
 * and street. The address components are what follows the last colon (they have their `;`s, the
 * label's remainder has none): the label's text is kept as the parameter, never in the street.
 */
function separateLabel(raw: string, params: Map<string, string[]>): string {
  if (!params.has('LABEL') || raw.indexOf(':') < 0) return raw;
  const at = raw.lastIndexOf(':');
  const head = raw.slice(0, at);
  const tail = raw.slice(at + 1);
  if (head.includes(';') || tail.split(';').length < 3) return raw;
  params.set('LABEL', [`${params.get('LABEL')?.[0] ?? ''}:${head}`]);
  params.set('X-MALFORMED-LABEL', ['1']);
  return tail;
}

// --- value decoding -----------------------------------------------------------------------

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Quoted-printable (Latin-1 byte string in, bytes out). Invalid escapes stay literal. */
export function decodeQuotedPrintable(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) {
      if (i + 2 < s.length) {
        const h = hexVal(s.charCodeAt(i + 1));
        const l = hexVal(s.charCodeAt(i + 2));
        if (h >= 0 && l >= 0) {
          out[o++] = (h << 4) | l;
          i += 2;
          continue;
        }
      } else if (i === s.length - 1) {
        continue; // trailing soft break
      }
    }
    out[o++] = c & 0xff;
  }
  return out.subarray(0, o);
}

function hasHighByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true;
  return false;
}

/** Split on unescaped separator characters (a backslash protects the next character). */
function splitUnescaped(s: string, seps: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (seps.includes(ch)) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** Value escapes: 3.0/4.0 `\\ \, \; \n \N` (and `\:`); 2.1 only `\;` (and `\\`). */
function unescapeValue(s: string, is21: boolean): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== '\\' || i + 1 >= s.length) {
      out += ch;
      continue;
    }
    const next = s[i + 1];
    if (is21) {
      if (next === ';' || next === '\\') {
        out += next;
        i++;
      } else {
        out += ch;
      }
      continue;
    }
    if (next === 'n' || next === 'N') out += '\n';
    else if (/[A-Za-z0-9]/.test(next)) out += ch + next;
    else out += next;
    i++;
  }
  return out;
}

interface DecodeContext {
  is21: boolean;
  /** The file was UTF-16 and has been re-encoded to UTF-8: raw 8-bit values are UTF-8. */
  transcoded: boolean;
  problems: RowProblem[];
  /** The whole file's code page, for a value whose own statistics decide nothing. */
  fileCodepage: SingleByteCodepage;
  /** How the 8-bit values of the file were read: charset → declared or by statistics, how many. */
  charsets: CharsetTally;
}

/** Per charset: how it was decided and for how many values. */
export type CharsetTally = Map<string, { charset: string; how: 'declared' | 'statistics'; count: number }>;

function tally(ctx: DecodeContext, charset: string, how: 'declared' | 'statistics') {
  const key = `${how}:${charset.toLowerCase()}`;
  const t = ctx.charsets.get(key);
  if (t) t.count++;
  else ctx.charsets.set(key, { charset: charset.toLowerCase(), how, count: 1 });
}

/**
 * Turn a property's raw value into text components. `seps` are the structural separators
 * (';' for N / ADR / ORG, ';' and ',' for CATEGORIES, '' for plain text); they are applied
 * on the raw value, before transfer decoding, so an encoded `=3B` is data, not a separator.
 * The charset is the CHARSET parameter, else strict UTF-8, else Windows-1251, decided on the
 * whole value.
 */
function decodeComponents(prop: VcardProperty, seps: string, ctx: DecodeContext): string[] {
  const enc = encodingOf(prop.params);
  const rawParts = seps === '' ? [prop.raw] : splitUnescaped(prop.raw, seps);
  let byteParts: Buffer[] | null = null;
  if (enc === 'QUOTED-PRINTABLE') {
    byteParts = rawParts.map(decodeQuotedPrintable);
  } else if (enc === 'BASE64' || enc === 'B') {
    byteParts = rawParts.map((p) => Buffer.from(p.replace(/\s+/g, ''), 'base64'));
  } else if (rawParts.some(hasHighByte)) {
    byteParts = rawParts.map((p) => Buffer.from(p, 'latin1'));
  }
  let texts: string[];
  if (byteParts === null) {
    texts = rawParts; // pure ASCII
  } else {
    const charset = ctx.transcoded && enc === '' ? undefined : prop.params.get('CHARSET')?.[0];
    let decoder = charset === undefined ? null : bytesDecoderFor(charset);
    if (charset !== undefined && decoder === null) {
      ctx.problems.push({ code: 'unknown_charset', detail: charset });
    }
    if (decoder !== null) {
      tally(ctx, charset as string, 'declared');
    } else {
      // No (usable) CHARSET: UTF-8 when the bytes are, else this value's own statistics, and the
      // whole file's where they decide nothing (a lone "ń" is "ñ" in 1252 as well).
      const all = Buffer.concat(byteParts);
      let chosen: string = 'utf-8';
      if (!isUtf8(all)) {
        const own = codepageStatistics(all);
        chosen = own.tie ? ctx.fileCodepage : own.codepage;
        tally(ctx, chosen, 'statistics');
      }
      decoder = bytesDecoderFor(chosen) as BytesDecoder;
    }
    texts = byteParts.map(decoder);
  }
  return texts.map((t) => normalizeNewlines(unescapeValue(t, ctx.is21)));
}

/** A 3.0/4.0 component may itself be a comma list; join its values with `joiner`. */
function componentValues(prop: VcardProperty, ctx: DecodeContext, joiner: string): string[] {
  if (ctx.is21) return decodeComponents(prop, ';', ctx);
  // Split on ';' first, then each component on ',' — both on the raw value.
  const components = splitUnescaped(prop.raw, ';');
  return components.map((c) => {
    const values = decodeComponents({ ...prop, raw: c }, ',', ctx).map((v) => v.trim()).filter((v) => v !== '');
    return values.join(joiner);
  });
}

function types(prop: VcardProperty): Set<string> {
  return new Set(prop.params.get('TYPE') ?? []);
}

function phoneKind(t: Set<string>): PhoneKind {
  if (t.has('FAX') || t.has('HOMEFAX') || t.has('WORKFAX') || t.has('OTHERFAX')) return 'fax';
  if (t.has('CELL') || t.has('MOBILE')) return 'mobile';
  if (t.has('WORK')) return 'work';
  if (t.has('HOME')) return 'home';
  return 'other';
}

function decodePhoto(prop: VcardProperty, ctx: DecodeContext): { bytes: Buffer; mime: string } | null {
  const enc = encodingOf(prop.params);
  const raw = prop.raw.trim();
  let bytes: Buffer | null = null;
  let hint = prop.params.get('TYPE')?.[0] ?? prop.params.get('MEDIATYPE')?.[0] ?? '';
  if (enc === 'BASE64' || enc === 'B') {
    bytes = Buffer.from(raw.replace(/\s+/g, ''), 'base64');
  } else if (/^data:/i.test(raw)) {
    const comma = raw.indexOf(',');
    const meta = comma < 0 ? '' : raw.slice(5, comma);
    const metaParts = meta.split(';');
    if (metaParts[0] !== '') hint = metaParts[0];
    if (comma < 0 || !metaParts.some((m) => m.toLowerCase() === 'base64')) {
      ctx.problems.push({ code: 'photo_unsupported' });
      return null;
    }
    bytes = Buffer.from(raw.slice(comma + 1).replace(/\s+/g, ''), 'base64');
  } else if (raw !== '') {
    ctx.problems.push({ code: 'photo_url_skipped', detail: raw.slice(0, 200) });
    return null;
  }
  if (bytes === null || bytes.length === 0) return null;
  const mime = sniffImageMime(bytes) ?? mimeFromTypeHint(hint);
  if (mime === null) {
    ctx.problems.push({ code: 'photo_unrecognized' });
    return null;
  }
  return { bytes, mime };
}

/** Properties about the file rather than the contact: nothing of the contact is lost without them. */
const METADATA = new Set(['BEGIN', 'END', 'VERSION', 'PRODID', 'REV', 'UID', 'KIND', 'CLASS', 'SORT-STRING', 'X-MAILER', 'X-PRODID', 'X-MS-OL-DEFAULT-POSTAL-ADDRESS', 'X-MS-OL-DESIGN', 'X-MS-CARDPICTURE', 'X-ABUID', 'X-ABSHOWAS', 'X-ABLABEL', 'X-WAB-GENDER', 'MAILER']);

/**
 * The code page of the whole file's 8-bit text that declares no CHARSET (quoted-printable decoded),
 * by the statistics the CSV detection uses: what a value too short to tell decides by.
 */
function undeclaredCodepage(lines: string[]): SingleByteCodepage {
  const pieces: Buffer[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const head = line.slice(0, colon).toUpperCase();
    if (head.includes('CHARSET=')) continue;
    const value = line.slice(colon + 1);
    const bytes = head.includes('QUOTED-PRINTABLE') ? decodeQuotedPrintable(value) : Buffer.from(value, 'latin1');
    if (bytes.some((b) => b >= 0x80)) pieces.push(bytes, Buffer.from(' '));
  }
  return pieces.length ? codepageStatistics(Buffer.concat(pieces)).codepage : 'windows-1251';
}

function cardToRow(props: VcardProperty[], startLine: number, version: string, transcoded: boolean, file: { fileCodepage: SingleByteCodepage; charsets: CharsetTally }): ContactRow {
  const row = emptyRow(startLine);
  const ctx: DecodeContext = { is21: version.startsWith('2'), transcoded, problems: row.problems, ...file };
  const text = (p: VcardProperty): string => decodeComponents(p, '', ctx)[0];
  let fn = '';
  let role = '';
  const notes: string[] = [];
  const extraAddresses: string[] = [];
  const labels: VcardProperty[] = [];
  for (const p of props) {
    switch (p.name) {
      case 'N': {
        const [family = '', given = '', additional = ''] = componentValues(p, ctx, ' ');
        if (row.surname === '' && row.firstName === '' && row.patronymic === '') {
          row.surname = oneLine(family);
          row.firstName = oneLine(given);
          row.patronymic = oneLine(additional);
        }
        break;
      }
      case 'FN':
        if (fn === '') fn = oneLine(text(p));
        break;
      case 'ORG': {
        if (row.company !== '') break;
        const units = decodeComponents(p, ';', ctx).map(oneLine);
        row.company = units[0] ?? '';
        row.department = units.slice(1).filter((u) => u !== '').join(', ');
        break;
      }
      case 'TITLE':
        if (row.jobTitle === '') row.jobTitle = oneLine(text(p));
        break;
      case 'ROLE':
        if (role === '') role = oneLine(text(p));
        break;
      case 'TEL': {
        const number = text(p).trim().replace(/^tel:/i, '');
        addPhone(row, phoneKind(types(p)), number);
        break;
      }
      case 'EMAIL': {
        const value = text(p).trim();
        if (value === '') break;
        if (types(p).has('X400')) row.problems.push({ code: 'exchange_email_skipped', detail: value });
        else addEmail(row, value);
        break;
      }
      case 'ADR': {
        const c = componentValues(p, ctx, ', ');
        const addr = makeAddress({
          street: joinStreet([c[2] ?? '', c[1] ?? '', c[0] ?? '']),
          locality: c[3] ?? '',
          region: c[4] ?? '',
          index: c[5] ?? '',
          country: c[6] ?? '',
        });
        if (addr === null) break;
        const t = types(p);
        const slot: 'businessAddress' | 'homeAddress' =
          t.has('HOME') && !t.has('WORK') ? 'homeAddress' : 'businessAddress';
        if (row[slot] === null) row[slot] = addr;
        else extraAddresses.push(formatAddress(addr));
        break;
      }
      case 'NOTE': {
        const note = text(p).trim();
        if (note !== '') notes.push(note);
        break;
      }
      case 'URL':
        if (row.webPage === '') row.webPage = oneLine(text(p));
        break;
      case 'CATEGORIES':
        addCategories(row, decodeComponents(p, ',;', ctx));
        break;
      case 'X-WAB-GENDER': {
        const v = text(p).trim();
        if (v === '1') row.gender = 'female';
        else if (v === '2') row.gender = 'male';
        break;
      }
      case 'GENDER':
      case 'X-GENDER': {
        const sex = text(p).split(';')[0];
        const g = parseGenderWord(sex);
        if (g !== 'unspecified') row.gender = g;
        break;
      }
      case 'PHOTO':
        if (row.photo === null) row.photo = decodePhoto(p, ctx);
        else row.problems.push({ code: 'extra_photo_skipped' });
        break;
      case 'LABEL':
        labels.push(p);
        break;
      case 'LOGO':
        // An organization's logo: the directory keeps no images of organizations.
        if (!row.problems.some((x) => x.code === 'logo_skipped')) row.problems.push({ code: 'logo_skipped' });
        break;
      default: {
        if (METADATA.has(p.name)) break;
        const v = oneLine(text(p));
        if (v !== '') (row.dropped ??= []).push({ column: p.name, value: v.slice(0, 500) });
        break;
      }
    }
  }
  if (row.surname === '' && row.firstName === '' && row.patronymic === '' && fn !== '' && fn !== row.company) {
    nameFromFullName(fn, row);
  }
  if (row.jobTitle === '') row.jobTitle = role;
  else if (role !== '' && role !== row.jobTitle) (row.dropped ??= []).push({ column: 'ROLE', value: role });
  // A formatted label repeats an address the card gives (ADR); without one, it is all there is.
  for (const p of labels) {
    const v = oneLine(text(p));
    if (v === '') continue;
    if (row.businessAddress === null && row.homeAddress === null) (row.dropped ??= []).push({ column: 'LABEL', value: v.slice(0, 500) });
  }
  for (const p of props) {
    if (p.name === 'ADR' && p.params.has('X-MALFORMED-LABEL')) row.problems.push({ code: 'malformed_label', detail: oneLine(p.params.get('LABEL')?.[0] ?? '').slice(0, 300) });
  }
  row.notes = notes.join('\n');
  for (const a of extraAddresses) row.problems.push({ code: 'extra_address_skipped', detail: a });
  if (row.dropped) row.droppedFrom = 'properties';
  return finishRow(row);
}

function formatAddress(a: Address): string {
  return [a.index, a.country, a.region, a.locality, a.street].filter((x) => x !== '').join(', ');
}

/**
 * Parse a .vcf file (one or more cards). Throws `ParseError` 'empty' or 'vcard_unterminated'
 * (with the BEGIN line of the card that has no END).
 */
export function parseVcard(buf: Buffer, limits?: ParseLimits): VcardResult {
  if (buf.length === 0) throw new ParseError('empty');
  let bytes = buf;
  let encoding: TextEncodingName;
  let transcoded = false;
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    bytes = buf.subarray(3);
    encoding = 'utf-8-bom';
  } else if (!buf.includes(0) && isUtf8(buf)) {
    encoding = 'utf-8';
  } else {
    const decoded = decodeText(buf); // UTF-16 with BOM or BOM-less, else a single-byte code page
    if (decoded.encoding === 'utf-16le' || decoded.encoding === 'utf-16be') {
      bytes = Buffer.from(decoded.text, 'utf8');
      encoding = decoded.encoding;
      transcoded = true;
    } else {
      encoding = 'windows-1251'; // what raw 8-bit values without CHARSET are decoded as
    }
  }
  const lines = splitLines(bytes.toString('latin1'));
  const file: { fileCodepage: SingleByteCodepage; charsets: CharsetTally } = { fileCodepage: undeclaredCodepage(lines), charsets: new Map() };
  const problems: FileProblem[] = [];
  const rows: ContactRow[] = [];
  const versions: string[] = [];
  let depth = 0;
  let cardStart = -1;
  let cardLines: string[] = [];
  let cardNumbers: number[] = [];
  let reportedOutside = false;
  let any = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (isMarker(line, 'BEGIN:VCARD')) {
      if (depth === 0) {
        cardStart = i;
        cardLines = [];
        cardNumbers = [];
      }
      depth++;
      any = true;
      continue;
    }
    if (isMarker(line, 'END:VCARD')) {
      if (depth === 0) {
        problems.push({ code: 'stray_end', line: i + 1 });
        continue;
      }
      depth--;
      if (depth > 0) continue;
      checkRowLimit(rows.length, limits, cardStart + 1);
      let version = '';
      for (const l of cardLines) {
        if (/^\s*VERSION\s*:/i.test(l)) {
          version = l.slice(l.indexOf(':') + 1).trim();
          break;
        }
      }
      const props = unfoldCard(cardLines, cardNumbers, version === '' ? '3.0' : version);
      const row = cardToRow(props, cardStart + 1, version === '' ? '3.0' : version, transcoded, file);
      if (version === '') row.problems.push({ code: 'version_missing' });
      else if (!versions.includes(version)) versions.push(version);
      rows.push(row);
      continue;
    }
    if (depth === 1) {
      cardLines.push(line);
      cardNumbers.push(i + 1);
    } else if (depth === 0 && !isBlank(line) && !reportedOutside) {
      problems.push({ code: 'text_outside_card', line: i + 1 });
      reportedOutside = true;
    }
  }
  if (depth > 0) throw new ParseError('vcard_unterminated', { line: cardStart + 1 });
  if (!any) {
    if (isBlank(lines.join(''))) throw new ParseError('empty');
    throw new ParseError('not_a_contacts_file', { detail: 'no_vcard' });
  }
  const charsets = [...file.charsets.values()];
  // The file's encoding as its 8-bit text was read: the declared or decided charset, when one.
  const single = new Set(charsets.map((c) => c.charset));
  const fileEncoding = encoding === 'windows-1251' ? (single.size === 1 ? [...single][0] : (charsets.sort((a, b) => b.count - a.count)[0]?.charset ?? file.fileCodepage)) : encoding;
  return { format: 'vcard', encoding: fileEncoding, version: versions, rows, problems, charsets };
}
