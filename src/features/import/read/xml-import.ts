import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';
import { GENDERS, PHONE_KINDS, type Gender, type PhoneKind } from '../../../db/schema/persons.js';
import { GROUP_MARKS, type GroupMark } from '../../../db/schema/groups.js';
import { ValidationError } from '../../../lib/errors.js';
import { cleanText } from '../../../lib/text.js';
import { timeSlicer } from '../../../lib/limit.js';
import { isEmail } from '../../../lib/validate.js';
import { innProblem, normalizeInn } from '../../organizations/model.js';
import { MAX_EMAILS, parseInfluence, PHOTO_MAX_BYTES } from '../../persons/model.js';
import { ADDRESS_ELEMENTS, CONTACTS_NS, FORMAT_VERSION, PHOTO_TYPES } from '../../../lib/exchange/format.js';
import { KEY_RE } from '../../../lib/exchange/keys.js';
import { clip, EMPTY_ADDRESS, LIMITS, readPhoto } from './mapping.js';
import type { DraftRow, GroupDraft, MembershipDraft, OrganizationDraft, ParsedImport, PersonDraft, Problem } from '../types.js';

/**
 * Streaming reader of this system's XML export (saxes: no DTD processing, no external entities).
 * Any DOCTYPE is refused outright, before a byte of its internal subset is used, so entity
 * expansion attacks (XXE, billion laughs) have nothing to work with. The structure is checked as
 * the XSD describes it, and every reference must resolve inside the file: a bad file is refused
 * as a whole with the line where it went wrong, and nothing is written.
 */

/** A refusal of the whole file: an i18n key and its parameters. */
function refuse(key: string, params: Record<string, string | number> = {}): never {
  throw new ValidationError({ file: { key, params } });
}

/** The children each record element may have, in the schema's order. */
const RECORD_CHILDREN: Record<string, readonly string[]> = {
  group: ['name', 'description'],
  organization: ['name', 'shortName', 'inn', 'region', 'activity', 'category', 'address', 'phones', 'email', 'website', 'note'],
  person: ['surname', 'firstName', 'patronymic', 'influence', 'jobTitle', 'gender', 'dative', 'address', 'phone', 'email', 'note', 'photo'],
  membership: ['reason', 'document'],
};
const RECORD_ATTRIBUTES: Record<string, readonly string[]> = {
  group: ['id', 'mark', 'archived'],
  organization: ['id', 'archived'],
  person: ['id', 'organization', 'archived'],
  membership: ['group', 'person', 'organization', 'added', 'removed'],
};
const REPEATED = new Set(['phone', 'email', 'document']);
const SECTIONS: Record<string, string> = { groups: 'group', organizations: 'organization', persons: 'person', memberships: 'membership' };
const SECTION_ORDER = ['groups', 'organizations', 'persons', 'memberships'];
const ADDRESS_PARTS = new Map(ADDRESS_ELEMENTS.map(([el, field]) => [el, field]));

interface OpenRecord {
  type: string;
  line: number;
  attrs: Record<string, string>;
  values: Map<string, string[]>;
  address: Record<string, string> | null;
  phoneKinds: string[];
  photoType: string | null;
  lastChild: number;
}

export interface XmlImporterOptions {
  maxRows: number;
}

export class XmlImporter {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly stack: string[] = [];
  private text = '';
  private record: OpenRecord | null = null;
  private sectionIndex = -1;
  private sawRoot = false;
  private readonly groups: { line: number; g: GroupDraft }[] = [];
  private readonly organizations: { line: number; o: OrganizationDraft }[] = [];
  private readonly persons: { line: number; p: PersonDraft; photo: string | null; photoType: string | null }[] = [];
  private readonly memberships: { line: number; m: MembershipDraft }[] = [];
  private readonly ids = new Set<string>();

  constructor(private readonly opts: XmlImporterOptions) {
    this.parser.on('doctype', () => refuse('import.xml.doctype'));
    this.parser.on('xmldecl', (d) => {
      if (d.encoding && !/^utf-?8$/i.test(d.encoding)) refuse('import.xml.encoding', { encoding: d.encoding });
    });
    this.parser.on('error', (err) => {
      // saxes reports "undefined entity", unclosed tags and the like: say where.
      refuse('import.xml.malformed', { line: this.parser.line, column: this.parser.column, detail: err.message.replace(/^[^:]*:\d+:\d+: /, '').slice(0, 200) });
    });
    this.parser.on('opentag', (tag) => this.open(tag as SaxesTagNS));
    this.parser.on('closetag', (tag) => this.close(tag as SaxesTagNS));
    this.parser.on('text', (t) => this.addText(t));
    this.parser.on('cdata', (t) => this.addText(t));
  }

  /** Feeds the next bytes of the file. */
  write(chunk: Buffer): void {
    let s: string;
    try {
      s = this.decoder.decode(chunk, { stream: true });
    } catch {
      refuse('import.xml.notUtf8');
    }
    if (s) this.parser.write(s);
  }

  /** Ends the file: checks references and returns the rows for the preview. */
  async finish(): Promise<ParsedImport> {
    let rest: string;
    try {
      rest = this.decoder.decode();
    } catch {
      refuse('import.xml.notUtf8');
    }
    if (rest) this.parser.write(rest);
    this.parser.close();
    if (!this.sawRoot) refuse('import.xml.notContacts');
    return this.result();
  }

  private where() {
    return { line: this.parser.line };
  }

  private open(tag: SaxesTagNS) {
    const name = tag.local;
    const depth = this.stack.length;
    if (tag.uri !== CONTACTS_NS) {
      if (depth === 0) refuse('import.xml.notContacts');
      refuse('import.xml.unexpected', { name: tag.name, ...this.where() });
    }
    if (depth === 0) {
      if (name !== 'contacts') refuse('import.xml.notContacts');
      const version = attr(tag, 'version');
      if (version !== FORMAT_VERSION) refuse('import.xml.version', { version: version ?? '' });
      this.sawRoot = true;
    } else if (depth === 1) {
      const index = SECTION_ORDER.indexOf(name);
      if (index <= this.sectionIndex) refuse('import.xml.unexpected', { name, ...this.where() });
      this.sectionIndex = index;
    } else if (depth === 2) {
      if (SECTIONS[this.stack[1]] !== name) refuse('import.xml.unexpected', { name, ...this.where() });
      this.record = this.startRecord(tag);
    } else if (depth === 3 && this.record) {
      const order = RECORD_CHILDREN[this.record.type];
      const pos = order.indexOf(name);
      if (pos < 0 || pos < this.record.lastChild || (pos === this.record.lastChild && !REPEATED.has(name))) {
        refuse('import.xml.unexpected', { name, ...this.where() });
      }
      this.record.lastChild = pos;
      if (name === 'address') this.record.address = {};
      if (name === 'phone') {
        const kind = attr(tag, 'kind') ?? 'work';
        if (!PHONE_KINDS.includes(kind as PhoneKind)) refuse('import.xml.badValue', { name: 'phone/@kind', value: kind, ...this.where() });
        this.record.phoneKinds.push(kind);
      }
      if (name === 'photo') this.record.photoType = attr(tag, 'type') ?? '';
    } else if (depth === 4 && this.record?.address && this.stack[3] === 'address') {
      if (!ADDRESS_PARTS.has(name) || name in this.record.address) refuse('import.xml.unexpected', { name, ...this.where() });
    } else {
      refuse('import.xml.unexpected', { name, ...this.where() });
    }
    this.stack.push(name);
    this.text = '';
  }

  private addText(t: string) {
    const depth = this.stack.length;
    const leaf = (depth === 4 && this.stack[3] !== 'address') || depth === 5;
    if (leaf) {
      this.text += t;
      if (this.text.length > PHOTO_MAX_BYTES * 2) refuse('import.xml.badValue', { name: this.stack[depth - 1], value: '…', ...this.where() });
    } else if (t.trim()) {
      refuse('import.xml.unexpectedText', this.where());
    }
  }

  private close(tag: SaxesTagNS) {
    const name = tag.local;
    const depth = this.stack.length;
    const rec = this.record;
    if (depth === 5 && rec?.address) rec.address[name] = this.text;
    else if (depth === 4 && rec && name !== 'address') rec.values.set(name, [...(rec.values.get(name) ?? []), this.text]);
    else if (depth === 3 && rec) this.endRecord(rec);
    this.stack.pop();
    this.text = '';
  }

  private startRecord(tag: SaxesTagNS): OpenRecord {
    const type = tag.local;
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes) as SaxesAttributeNS[]) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns' || a.uri) continue;
      if (!RECORD_ATTRIBUTES[type].includes(a.local)) refuse('import.xml.unexpected', { name: `@${a.name}`, ...this.where() });
      attrs[a.local] = a.value;
    }
    return { type, line: this.parser.line, attrs, values: new Map(), address: null, phoneKinds: [], photoType: null, lastChild: -1 };
  }

  private endRecord(r: OpenRecord) {
    this.record = null;
    const at = { line: r.line };
    const problems: Problem[] = [];
    const one = (name: string) => r.values.get(name)?.[0] ?? '';
    const text = (name: string, max: number) => clip(cleanText(one(name)).replace(/\s+/g, ' '), max, name, problems);
    // A "\r" can be in the text only as a character reference (the export writes it so): kept, for a lossless round trip.
    const multiline = (name: string, max: number) => clip(cleanText(one(name), { multiline: true, keepCr: true }), max, name, problems);
    const key = (name: string, required: boolean): string | null => {
      const v = r.attrs[name];
      if (v === undefined || v === '') {
        if (required) refuse('import.xml.missing', { name: `@${name}`, ...at });
        return null;
      }
      if (!KEY_RE.test(v)) refuse('import.xml.badValue', { name: `@${name}`, value: v.slice(0, 100), ...at });
      return v;
    };
    const date = (name: string): string | null => {
      const v = r.attrs[name];
      if (v === undefined || v === '') return null;
      const d = new Date(v);
      if (!/^\d{4}-\d\d-\d\dT/.test(v) || Number.isNaN(d.getTime())) refuse('import.xml.badValue', { name: `@${name}`, value: v.slice(0, 100), ...at });
      return d.toISOString();
    };
    const id = (): string => {
      const v = key('id', true)!;
      if (this.ids.has(`${r.type}:${v}`)) refuse('import.xml.duplicateId', { id: v, ...at });
      this.ids.add(`${r.type}:${v}`);
      return v;
    };
    const address = () => {
      const a = { ...EMPTY_ADDRESS };
      for (const [el, field] of ADDRESS_ELEMENTS) {
        const v = r.address?.[el];
        if (v) a[field] = clip(cleanText(v).replace(/\s+/g, ' '), field === 'addrStreet' ? LIMITS.street : LIMITS.addressPart, field, problems);
      }
      return a;
    };
    const required = (name: string, v: string) => {
      if (!v) refuse('import.xml.missing', { name, ...at });
      return v;
    };

    if (r.type === 'group') {
      const mark = r.attrs.mark ?? 'none';
      if (!GROUP_MARKS.includes(mark as GroupMark)) refuse('import.xml.badValue', { name: '@mark', value: mark, ...at });
      this.limit(this.groups.length);
      this.groups.push({ line: r.line, g: { key: id(), name: required('name', text('name', LIMITS.name)), description: multiline('description', 2000), mark: mark as GroupMark, archivedAt: date('archived') } });
      return;
    }
    if (r.type === 'organization') {
      this.limit(this.organizations.length);
      let email = text('email', 254);
      if (email && !isEmail(email)) {
        problems.push({ code: 'invalid_email_skipped', detail: email });
        email = '';
      }
      let inn = normalizeInn(text('inn', 40));
      if (innProblem(inn)) {
        problems.push({ code: 'invalid_inn_skipped', detail: inn });
        inn = '';
      }
      this.organizations.push({
        line: r.line,
        o: {
          key: id(),
          name: required('name', text('name', LIMITS.company)),
          shortName: text('shortName', LIMITS.name),
          inn,
          region: text('region', LIMITS.name),
          activity: text('activity', LIMITS.name),
          category: text('category', LIMITS.name),
          address: address(),
          phones: text('phones', 500),
          email,
          website: text('website', LIMITS.website),
          note: multiline('note', LIMITS.note),
          archivedAt: date('archived'),
        },
      });
      this.pendingProblems.set(`o:${r.line}`, problems);
      return;
    }
    if (r.type === 'person') {
      this.limit(this.persons.length);
      const influenceRaw = one('influence');
      // The person's own rule (persons/model.ts), as on the form.
      const influence = parseInfluence(influenceRaw);
      if (influence === null) refuse('import.xml.badValue', { name: 'influence', value: influenceRaw.slice(0, 20), ...at });
      const gender = one('gender') || 'unspecified';
      if (!GENDERS.includes(gender as Gender)) refuse('import.xml.badValue', { name: 'gender', value: gender.slice(0, 20), ...at });
      const phones = (r.values.get('phone') ?? []).map((n, i) => ({ kind: r.phoneKinds[i] as PhoneKind, number: cleanText(n) })).filter((p) => p.number);
      for (const p of phones) {
        if (p.number.length > LIMITS.phone) refuse('import.xml.badValue', { name: 'phone', value: p.number.slice(0, 60), ...at });
      }
      const emails: string[] = [];
      for (const e of r.values.get('email') ?? []) {
        const email = cleanText(e);
        if (!email) continue;
        if (isEmail(email)) emails.push(email);
        else problems.push({ code: 'invalid_email_skipped', detail: email });
      }
      const photoType = r.photoType;
      if (photoType !== null && !PHOTO_TYPES.includes(photoType as (typeof PHOTO_TYPES)[number])) refuse('import.xml.badValue', { name: 'photo/@type', value: photoType, ...at });
      const orgKey = key('organization', false);
      this.persons.push({
        line: r.line,
        p: {
          key: id(),
          surname: required('surname', text('surname', LIMITS.name)),
          firstName: text('firstName', LIMITS.name),
          patronymic: text('patronymic', LIMITS.name),
          influence: influence ?? 0,
          jobTitle: text('jobTitle', LIMITS.jobTitle),
          gender: gender as Gender,
          dativeOverride: text('dative', LIMITS.dative),
          note: multiline('note', LIMITS.note),
          address: address(),
          phones,
          emails: emails.slice(0, MAX_EMAILS),
          archivedAt: date('archived'),
          organization: orgKey ? { key: orgKey } : null,
          businessAddress: null,
          webPage: '',
          categories: [],
          organizationOnly: false,
          organizationPhones: '',
          organizationEmail: '',
        },
        photo: r.values.has('photo') ? one('photo') : null,
        photoType,
      });
      this.pendingProblems.set(`p:${r.line}`, problems);
      return;
    }
    // membership
    this.limit(this.memberships.length);
    const person = key('person', false);
    const organization = key('organization', false);
    if ((person === null) === (organization === null)) refuse('import.xml.memberOne', at);
    this.memberships.push({
      line: r.line,
      m: {
        group: key('group', true)!,
        person,
        organization,
        reason: multiline('reason', 1000),
        documents: (r.values.get('document') ?? []).map((d) => cleanText(d)).filter(Boolean).slice(0, 50),
        addedAt: date('added'),
        removedAt: date('removed'),
      },
    });
  }

  private readonly pendingProblems = new Map<string, Problem[]>();

  private limit(count: number) {
    if (count >= this.opts.maxRows) refuse('import.error.tooManyRows', { count: this.opts.maxRows });
  }

  /**
   * References must resolve inside the file; then the rows, groups first. Long files are worked
   * through in slices that let other requests run, and photos are decoded by sharp.
   */
  private async result(): Promise<ParsedImport> {
    const clock = timeSlicer();
    const groupKeys = new Set(this.groups.map((g) => g.g.key));
    const orgKeys = new Set(this.organizations.map((o) => o.o.key));
    const personKeys = new Set(this.persons.map((p) => p.p.key));
    for (const { line, p } of this.persons) {
      if (p.organization && 'key' in p.organization && !orgKeys.has(p.organization.key)) {
        refuse('import.xml.missingOrganization', { id: p.organization.key, line });
      }
    }
    for (const { line, m } of this.memberships) {
      if (!groupKeys.has(m.group)) refuse('import.xml.missingGroup', { id: m.group, line });
      if (m.person && !personKeys.has(m.person)) refuse('import.xml.missingPerson', { id: m.person, line });
      if (m.organization && !orgKeys.has(m.organization)) refuse('import.xml.missingOrganization', { id: m.organization, line });
    }
    const rows: DraftRow[] = [
      ...this.groups.map(({ line, g }) => ({ line, data: { kind: 'group' as const, group: g }, problems: [], photo: null })),
      ...this.organizations.map(({ line, o }) => ({ line, data: { kind: 'organization' as const, organization: o }, problems: this.pendingProblems.get(`o:${line}`) ?? [], photo: null })),
    ];
    for (const { line, p, photo } of this.persons) {
      const problems = this.pendingProblems.get(`p:${line}`) ?? [];
      let draft = null;
      if (photo !== null) {
        const bytes = Buffer.from(photo.replace(/\s+/g, ''), 'base64');
        draft = bytes.length ? await readPhoto(bytes, problems) : null;
      }
      rows.push({ line, data: { kind: 'person' as const, person: p }, problems, photo: draft });
      if (clock.due()) await clock.yield();
    }
    for (const { line, m } of this.memberships) rows.push({ line, data: { kind: 'membership' as const, membership: m }, problems: [], photo: null });
    return {
      format: 'xml',
      encoding: 'utf-8',
      delimiter: null,
      details: { counts: { groups: this.groups.length, organizations: this.organizations.length, persons: this.persons.length, memberships: this.memberships.length } },
      rows,
    };
  }
}

function attr(tag: SaxesTagNS, local: string): string | undefined {
  for (const a of Object.values(tag.attributes) as SaxesAttributeNS[]) if (a.local === local && !a.uri) return a.value;
  return undefined;
}

/** True when the bytes start like an XML document (after a BOM and white space). */
export function looksLikeXml(head: Buffer): boolean {
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  return head[i] === 0x3c; // '<'
}
