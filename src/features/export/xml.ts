import { createCB } from 'xmlbuilder2';
import type { Db } from '../../db/client.js';
import { ADDRESS_ELEMENTS, CONTACTS_NS, FORMAT_VERSION, xmlValue } from './format.js';
import { keyContext } from './keys.js';
import { bounds, contactsOfPersons, groupBatches, membershipBatches, organizationBatches, personBatches, photosOf } from './queries.js';
import { ScopeSql, type ExportScope } from './scope.js';

/**
 * The XML export as a stream of text chunks: xmlbuilder2's callback writer emits each element as
 * it is written, and the generator hands the text over after every database batch, so the reply
 * stream's back-pressure paces the queries and memory stays flat whatever the directory's size.
 */
const PHOTO_BATCH = 50;

type Writer = ReturnType<typeof createCB>;

function iso(v: Date | string | null | undefined): string | undefined {
  return v ? new Date(v).toISOString() : undefined;
}

/** A child element with text, left out when empty (the importer reads a missing one as empty). */
function leaf(xml: Writer, name: string, value: string | number | null | undefined, attrs?: Record<string, string>) {
  if (value === null || value === undefined || value === '') return;
  xml.ele(name, attrs).txt(xmlValue(String(value))).up();
}

function address(xml: Writer, a: Record<string, string>) {
  const parts = ADDRESS_ELEMENTS.filter(([, f]) => a[f]);
  if (!parts.length) return;
  xml.ele('address');
  for (const [el, f] of parts) leaf(xml, el, a[f]);
  xml.up();
}

function attrs(list: Record<string, string | undefined | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(list)
      .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
      .map(([k, v]) => [k, xmlValue(v)]),
  );
}

export async function* contactsXml(db: Db, scope: ExportScope, opts: { photos: boolean }): AsyncGenerator<string> {
  const keys = await keyContext(db);
  const sqlScope = new ScopeSql(scope, await bounds(db));
  const out: string[] = [];
  const xml = createCB({ data: (chunk: string) => out.push(chunk), prettyPrint: true, indent: '  ', defaultNamespace: { ele: CONTACTS_NS, att: null } });
  const take = () => out.splice(0).join('');

  xml.dec({ version: '1.0', encoding: 'UTF-8' });
  xml.ele('contacts', { version: FORMAT_VERSION, exported: new Date().toISOString(), scope: scope.kind });

  xml.ele('groups');
  for await (const batch of groupBatches(db, sqlScope, keys)) {
    for (const g of batch) {
      xml.ele('group', attrs({ id: g.key, mark: g.mark, archived: iso(g.archivedAt) }));
      leaf(xml, 'name', g.name);
      leaf(xml, 'description', g.description);
      xml.up();
    }
    yield take();
  }
  xml.up();

  xml.ele('organizations');
  for await (const batch of organizationBatches(db, sqlScope, keys)) {
    for (const o of batch) {
      xml.ele('organization', attrs({ id: o.key, archived: iso(o.archivedAt) }));
      leaf(xml, 'name', o.name);
      leaf(xml, 'shortName', o.shortName);
      leaf(xml, 'region', o.region);
      leaf(xml, 'activity', o.activity);
      leaf(xml, 'category', o.category);
      address(xml, o as unknown as Record<string, string>);
      leaf(xml, 'phones', o.phones);
      leaf(xml, 'email', o.email);
      leaf(xml, 'website', o.website);
      leaf(xml, 'note', o.note);
      xml.up();
    }
    yield take();
  }
  xml.up();

  xml.ele('persons');
  for await (const batch of personBatches(db, sqlScope, keys, { photos: opts.photos })) {
    const { phones, emails } = await contactsOfPersons(db, batch.map((p) => Number(p.id)));
    for (let i = 0; i < batch.length; i += PHOTO_BATCH) {
      const slice = batch.slice(i, i + PHOTO_BATCH);
      const photos = opts.photos ? await photosOf(db, slice.filter((p) => p.hasPhoto).map((p) => Number(p.id))) : new Map();
      for (const p of slice) {
        const id = Number(p.id);
        xml.ele('person', attrs({ id: p.key, organization: p.organizationKey, archived: iso(p.archivedAt) }));
        leaf(xml, 'surname', p.surname);
        leaf(xml, 'firstName', p.firstName);
        leaf(xml, 'patronymic', p.patronymic);
        if (Number(p.influence) !== 0) leaf(xml, 'influence', Number(p.influence));
        leaf(xml, 'jobTitle', p.jobTitle);
        if (p.gender !== 'unspecified') leaf(xml, 'gender', p.gender);
        leaf(xml, 'dative', p.dativeOverride);
        address(xml, p as unknown as Record<string, string>);
        for (const ph of phones.get(id) ?? []) leaf(xml, 'phone', ph.number, { kind: ph.kind });
        for (const e of emails.get(id) ?? []) leaf(xml, 'email', e);
        leaf(xml, 'note', p.note);
        const photo = photos.get(id);
        if (photo) leaf(xml, 'photo', photo.original.toString('base64'), { type: photo.originalType });
        xml.up();
      }
      yield take();
    }
  }
  xml.up();

  xml.ele('memberships');
  for await (const batch of membershipBatches(db, sqlScope, keys)) {
    for (const m of batch) {
      xml.ele('membership', attrs({ group: m.groupKey, person: m.personKey, organization: m.organizationKey, added: iso(m.addedAt), removed: iso(m.removedAt) }));
      leaf(xml, 'reason', m.reason);
      for (const d of m.documents ?? []) leaf(xml, 'document', d);
      xml.up();
    }
    yield take();
  }
  xml.up();

  xml.up();
  xml.end();
  yield take();
}
