import { createCB } from 'xmlbuilder2';
import type { Db } from '../../db/client.js';
import type { Address } from '../../db/schema/address.js';
import { ahead } from '../../lib/ahead.js';
import { ADDRESS_ELEMENTS, CONTACTS_NS, FORMAT_VERSION } from '../../lib/exchange/format.js';
import { keyContext, type KeyContext } from '../../lib/exchange/keys.js';
import { bounds, contactsOfPersons, EXPORT_BATCH, groupBatches, membershipBatches, organizationBatches, personBatches, photosOf } from './queries.js';
import { ScopeSql, type ExportScope } from './scope.js';
import { XmlRecords, type XmlLayout } from './xml-record.js';

/**
 * The XML export as a stream of UTF-8 chunks, so the reply stream's back-pressure paces the
 * queries and memory stays flat whatever the directory's size. Each section reads its next
 * database batch while it writes the current one. xmlbuilder2 writes the document: its streaming
 * writer the outline (declaration, root, sections), a reusable element per kind of record the
 * records (see XmlRecords).
 */
const PHOTO_BATCH = 50;
/**
 * Text is handed over in chunks of about this many characters, whatever the batch: small pieces
 * are garbage soon after they are made, big ones outlive the young generation and pile up in the
 * heap until a full collection (~60 MB more peak memory with a chunk per batch).
 */
const CHUNK = 128 * 1024;
const INDENT = '  ';
/** contacts > section > record */
const RECORD_DEPTH = 2;

const ADDRESS: XmlLayout = ADDRESS_ELEMENTS.map(([el]) => el);
const GROUP: XmlLayout = ['name', 'description'];
const ORGANIZATION: XmlLayout = ['name', 'shortName', 'inn', 'region', 'activity', 'category', ['address', ADDRESS], 'phones', 'email', 'website', 'note'];
const PERSON: XmlLayout = ['surname', 'firstName', 'patronymic', 'influence', 'jobTitle', 'gender', 'dative', ['address', ADDRESS], 'phone', 'email', 'note', 'photo'];
const MEMBERSHIP: XmlLayout = ['reason', 'document'];

function address(rec: XmlRecords, a: Address) {
  rec.ele('address');
  for (const [el, f] of ADDRESS_ELEMENTS) rec.leaf(el, a[f]);
  rec.up();
}

/**
 * The document around the records, through xmlbuilder2's streaming writer. Each section's
 * records are spliced into its output as XmlRecords wrote them.
 */
class Outline {
  private readonly out: string[] = [];
  private readonly xml = createCB({
    data: (chunk: string) => void this.out.push(chunk),
    prettyPrint: true,
    indent: INDENT,
    defaultNamespace: { ele: CONTACTS_NS, att: null },
  });
  private filled = false;

  constructor(root: Record<string, string>) {
    this.xml.dec({ version: '1.0', encoding: 'UTF-8' });
    this.xml.ele('contacts', root);
  }

  section(name: string) {
    this.xml.ele(name);
    this.filled = false;
  }

  /** Records into the current section: everything XmlRecords has written so far. */
  records(records: XmlRecords) {
    const text = records.end();
    if (!text) return;
    // The writer finishes a start tag only when something goes into the element; an empty text
    // does that and writes nothing. An empty section stays <name/>.
    if (!this.filled) this.xml.txt('');
    this.filled = true;
    this.out.push(text);
  }

  endSection() {
    // After text the writer puts the end tag right behind it; the records end with a tag, so the
    // end tag gets its own line, as the writer does after an element.
    if (this.filled) this.out.push('\n' + INDENT);
    this.xml.up();
  }

  end() {
    this.xml.up();
    this.xml.end();
  }

  /**
   * What was written since the last call, as UTF-8. Encoded here, once: text handed to the reply
   * would be measured (for the chunk's length) and then encoded, two passes over every byte.
   */
  take(): Buffer {
    return Buffer.from(this.out.splice(0).join(''), 'utf8');
  }
}

/** What every section reads with and writes into. */
interface Export {
  db: Db;
  scope: ScopeSql;
  keys: KeyContext;
  doc: Outline;
  photos: boolean;
}

export async function* contactsXml(db: Db, scope: ExportScope, opts: { photos: boolean }): AsyncGenerator<Buffer> {
  const keys = await keyContext(db);
  const sqlScope = new ScopeSql(scope, await bounds(db));
  const doc = new Outline({ version: FORMAT_VERSION, exported: new Date().toISOString(), scope: scope.kind });
  const x: Export = { db, scope: sqlScope, keys, doc, photos: opts.photos };
  // One section after another, each with its own pool of elements, let go when it is done.
  yield* groups(x);
  yield* organizations(x);
  yield* persons(x);
  yield* memberships(x);
  doc.end();
  yield doc.take();
}

/**
 * A section of records written as its batches arrive (the next one read ahead), handed over in
 * chunks of about CHUNK records.
 */
async function* section<T>(doc: Export['doc'], name: string, records: XmlRecords, batches: AsyncIterable<T[]>, write: (row: T) => void) {
  doc.section(name);
  for await (const batch of ahead(batches)) {
    for (const row of batch) {
      write(row);
      if (records.length >= CHUNK) {
        doc.records(records);
        yield doc.take();
      }
    }
  }
  doc.records(records);
  doc.endSection();
}

async function* groups({ db, scope, keys, doc }: Export) {
  const group = new XmlRecords('group', GROUP, RECORD_DEPTH);
  yield* section(doc, 'groups', group, groupBatches(db, scope, keys), (g) => {
    group.start({ id: g.key, mark: g.mark, archived: g.archivedAt }).leaf('name', g.name).leaf('description', g.description);
  });
  // The first bytes go out at once, however long the first organizations take.
  yield doc.take();
}

async function* organizations({ db, scope, keys, doc }: Export) {
  const organization = new XmlRecords('organization', ORGANIZATION, RECORD_DEPTH);
  yield* section(doc, 'organizations', organization, organizationBatches(db, scope, keys), (o) => {
    organization.start({ id: o.key, archived: o.archivedAt });
    organization.leaf('name', o.name).leaf('shortName', o.shortName).leaf('inn', o.inn).leaf('region', o.region).leaf('activity', o.activity).leaf('category', o.category);
    address(organization, o);
    organization.leaf('phones', o.phones).leaf('email', o.email).leaf('website', o.website).leaf('note', o.note);
  });
}

/** Persons batch by batch with their phones and e-mails, so that all of it is read ahead together. */
async function* personsWithContacts({ db, scope, keys, photos }: Export) {
  for await (const batch of personBatches(db, scope, keys, { photos, size: EXPORT_BATCH.person })) {
    yield { batch, ...(await contactsOfPersons(db, batch.map((p) => Number(p.id)))) };
  }
}

async function* persons(x: Export) {
  const { db, doc } = x;
  const person = new XmlRecords('person', PERSON, RECORD_DEPTH);
  doc.section('persons');
  for await (const { batch, phones, emails } of ahead(personsWithContacts(x))) {
    for (let i = 0; i < batch.length; i += PHOTO_BATCH) {
      const slice = batch.slice(i, i + PHOTO_BATCH);
      const photos = x.photos ? await photosOf(db, slice.filter((p) => p.hasPhoto).map((p) => Number(p.id))) : null;
      for (const p of slice) {
        const id = Number(p.id);
        person.start({ id: p.key, organization: p.organizationKey, archived: p.archivedAt });
        person.leaf('surname', p.surname).leaf('firstName', p.firstName).leaf('patronymic', p.patronymic);
        if (Number(p.influence) !== 0) person.leaf('influence', Number(p.influence));
        person.leaf('jobTitle', p.jobTitle);
        if (p.gender !== 'unspecified') person.leaf('gender', p.gender);
        person.leaf('dative', p.dativeOverride);
        address(person, p);
        for (const ph of phones.get(id) ?? []) person.leaf('phone', ph.number, { kind: ph.kind });
        for (const e of emails.get(id) ?? []) person.leaf('email', e);
        person.leaf('note', p.note);
        const photo = photos?.get(id);
        if (photo) person.leaf('photo', photo.original.toString('base64'), { type: photo.originalType });
      }
      // Photos make a slice large, and are the reason for slices: each goes out on its own.
      if (photos || person.length >= CHUNK) {
        doc.records(person);
        yield doc.take();
      }
    }
  }
  doc.records(person);
  doc.endSection();
}

async function* memberships({ db, scope, keys, doc }: Export) {
  const membership = new XmlRecords('membership', MEMBERSHIP, RECORD_DEPTH);
  yield* section(doc, 'memberships', membership, membershipBatches(db, scope, keys), (m) => {
    membership.start({ group: m.groupKey, person: m.personKey, organization: m.organizationKey, added: m.addedAt, removed: m.removedAt });
    membership.leaf('reason', m.reason);
    for (const d of m.documents ?? []) membership.leaf('document', d);
  });
}
