import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq, sql } from 'drizzle-orm';
import { validateXML } from 'xmllint-wasm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { commit, upload, uploadOk } from './helpers.js';
import { createReference } from '../../src/features/references/service.js';
import { addMember, createGroup, removeMembership, setGroupArchived } from '../../src/features/groups/service.js';
import { setOrganizationArchived } from '../../src/features/organizations/service.js';
import { setPersonArchived, setPersonPhoto } from '../../src/features/persons/service.js';
import { makeThumbnail } from '../../src/features/persons/photo/thumbnail.js';
import { groupMemberships, mailingGroups } from '../../src/db/schema/groups.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { personPhotos, persons } from '../../src/db/schema/persons.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { sample } from './helpers.js';
import { bounds, membershipBatches } from '../../src/features/export/queries.js';
import { keyContext } from '../../src/lib/exchange/keys.js';
import { ScopeSql } from '../../src/features/export/scope.js';

const XSD = readFileSync(new URL('../../public/schema/contacts.xsd', import.meta.url), 'utf8');

export async function assertValid(xml: string) {
  const r = await validateXML({ xml: [{ fileName: 'export.xml', contents: xml }], schema: [{ fileName: 'contacts.xsd', contents: XSD }], maxMemoryPages: 16384 });
  expect(r.errors.map((e) => e.rawMessage)).toEqual([]);
  expect(r.valid).toBe(true);
}

/** Two exports of the same directory differ only in when they were made. */
const comparable = (xml: string) => xml.replace(/ exported="[^"]+"/, '');

let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  [a, b] = await Promise.all([createTestApp(), createTestApp()]);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function buildDirectory(t: TestApp) {
  const db = t.database.db;
  const s = t.users.secretary;
  const activity = await createReference(db, s, 'activities', { name: 'Производство' });
  const category = await createReference(db, s, 'categories', { name: 'Ключевой поставщик' });
  const [moscow] = await db.query.regions.findMany({ where: (r, { eq }) => eq(r.name, 'Москва') });
  const romashka = await makeOrganization(db, s, {
    name: 'ООО «Ромашка»', shortName: 'Ромашка', inn: '7707083893', regionId: moscow.id, activityId: activity.id, categoryId: category.id,
    addrIndex: '101000', addrCountry: 'Россия', addrRegion: 'Москва', addrLocality: 'Москва', addrStreet: 'ул. Ленина', addrHouse: '10', addrBuilding: '2', addrOffice: '5',
    phones: '+7 495 123-45-67, доб. 2', email: 'info@romashka.ru', website: 'https://romashka.ru', note: 'Клиент с 2015 года.\nПлатит вовремя & без задержек <всегда>.',
  });
  const zavod = await makeOrganization(db, s, { name: 'АО «Северный завод»', addrIndex: '195112', addrLocality: 'Санкт-Петербург', addrStreet: 'пр. Металлистов', addrHouse: '3' });
  const closed = await makeOrganization(db, s, { name: 'ЗАО «Закрыто»' });
  await setOrganizationArchived(db, s, closed.id, true);
  const sidorov = await makePerson(db, s, {
    surname: 'Сидоров', firstName: 'Иван', patronymic: 'Петрович', influence: 4, organizationId: romashka.id, jobTitle: 'Генеральный директор', gender: 'male',
    dativeOverride: 'Сидорову Ивану Петровичу', note: 'Предпочитает звонки до обеда.\nВторая строка; «кавычки»',
    phones: [{ kind: 'work', number: '+7 (495) 123-45-67' }, { kind: 'mobile', number: '8 916 111-22-33' }, { kind: 'fax', number: '+7 495 123-45-69' }],
    emails: ['sidorov@romashka.ru', 'i.sidorov@gmail.com'],
  });
  const elkina = await makePerson(db, s, { surname: 'Ёлкина', firstName: 'Ёлена', patronymic: 'Сергеевна', influence: -2, organizationId: romashka.id, gender: 'female', phones: [{ kind: 'home', number: '+7 495 000-00-01' }] });
  const shchukin = await makePerson(db, s, { surname: 'Щукин', firstName: 'Пётр', patronymic: '', organizationId: zavod.id, addrIndex: '190000', addrLocality: 'Санкт-Петербург', addrStreet: 'Невский пр.', addrHouse: '1' });
  const free = await makePerson(db, s, { surname: 'Вольный', firstName: 'Художник', patronymic: '', emails: ['artist@example.com'] });
  const gone = await makePerson(db, s, { surname: 'Уволенный', firstName: 'Олег', patronymic: '', organizationId: closed.id });
  await setPersonArchived(db, s, gone.id, true);
  const bmp = sample('photo-24bit.bmp');
  const thumb = await makeThumbnail(bmp, { maxBytes: 5e6, maxPixels: 4e7, size: 320 });
  await setPersonPhoto(db, s, sidorov.id, { thumbnail: thumb.png, original: bmp, originalType: 'image/bmp', width: thumb.width, height: thumb.height });
  const vip = await createGroup(db, s, { name: 'VIP', description: 'Особое обслуживание', mark: 'priority' });
  const black = await createGroup(db, s, { name: 'Чёрный список', description: '', mark: 'warning' });
  const old = await createGroup(db, s, { name: 'Рассылка 2020', description: 'Старая', mark: 'none' });
  await addMember(db, s, vip.id, { personId: sidorov.id }, { reason: 'Крупнейший заказчик', documentNumbers: '' });
  await addMember(db, s, vip.id, { personId: elkina.id }, { reason: '', documentNumbers: '' });
  await addMember(db, s, black.id, { organizationId: zavod.id }, { reason: 'Срыв поставок, письмо от 01.02', documentNumbers: '' });
  const former = await addMember(db, s, old.id, { personId: shchukin.id }, { reason: 'Подписка', documentNumbers: '' });
  if (former.status === 'added') await removeMembership(db, s, former.membershipId);
  await addMember(db, s, old.id, { personId: free.id }, { reason: 'Подписка', documentNumbers: '' });
  await setGroupArchived(db, s, old.id, true);
  return { romashka, zavod, sidorov, vip, black, old };
}

describe('XML export and re-import', () => {
  let dir: Awaited<ReturnType<typeof buildDirectory>>;
  let first = '';

  it('exports the whole directory, valid against the published XSD', async () => {
    dir = await buildDirectory(a);
    const c = await a.as('employee');
    const res = await c.get('/export.xml?photos=1');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="contacts-\d{4}-\d\d-\d\d\.xml"$/);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    first = res.body;
    await assertValid(first);
    expect(first).toContain('xmlns="urn:edms:crm:contacts:1"');
    expect(first).toContain('scope="all"');
    expect((first.match(/<person /g) ?? []).length).toBe(5);
    expect((first.match(/<organization /g) ?? []).length).toBe(3);
    expect((first.match(/<membership /g) ?? []).length).toBe(5);
    expect(first).toContain('<note>Клиент с 2015 года.\nПлатит вовремя &amp; без задержек &lt;всегда&gt;.</note>');
    expect(first).toContain('<influence>4</influence>');
    expect(first).toContain('<phone kind="fax">+7 495 123-45-69</phone>');
    expect(first).toMatch(/<photo type="image\/bmp">Qk/);
    expect(first).toMatch(/<membership group="g\d+-[0-9a-f]+" person="p\d+-[0-9a-f]+" added="[^"]+" removed="[^"]+">/);
    expect(first).toContain('<region>Москва</region>');
    expect(first).toContain('<shortName>Ромашка</shortName>\n      <inn>7707083893</inn>');
  });

  it('serves the schema to every signed-in user', async () => {
    const res = await (await a.as('employee')).get('/export/schema.xsd');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('xml');
    expect(res.body).toBe(XSD);
    expect((await a.anonymous().get('/export/schema.xsd')).statusCode).toBe(303);
  });

  it('imports into an empty installation and exports the same document again', async () => {
    const c = await b.as('secretary');
    const id = await uploadOk(c, Buffer.from(first), 'contacts.xml');
    const preview = await c.get(`/import/${id}`);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('data-format="xml"');
    expect(preview.body).toContain('В файле: групп — 3, организаций — 3, людей — 5, участий в группах — 5.');
    const batch = await commit(b, c, id);
    expect(batch.status).toBe('committed');
    expect(batch.report).toMatchObject({ rows: { created: 16, failed: 0 }, persons: { created: 5 }, organizations: { created: 3 }, groups: { created: 3 }, memberships: { created: 5 } });
    const db = b.database.db;
    const [sid] = await db.select().from(persons).where(eq(persons.surname, 'Сидоров'));
    expect(sid).toMatchObject({ influence: 4, gender: 'male', dativeOverride: 'Сидорову Ивану Петровичу', sortKey: 'сидоров иван петрович' });
    const [photo] = await db.select().from(personPhotos).where(eq(personPhotos.personId, sid.id));
    expect(photo.original.equals(sample('photo-24bit.bmp'))).toBe(true);
    const [romashka] = await db.select().from(organizations).where(eq(organizations.name, 'ООО «Ромашка»'));
    expect(romashka.inn).toBe('7707083893');
    const [archived] = await db.select().from(organizations).where(eq(organizations.name, 'ЗАО «Закрыто»'));
    expect(archived.archivedAt).not.toBeNull();
    const [old] = await db.select().from(mailingGroups).where(eq(mailingGroups.name, 'Рассылка 2020'));
    expect(old.archivedAt).not.toBeNull();
    const second = (await c.get('/export.xml?photos=1')).body;
    await assertValid(second);
    expect(comparable(second)).toBe(comparable(first));
  });

  it('recognises its own records when the same file comes again (duplicates by key)', async () => {
    const c = await b.as('secretary');
    const id = await uploadOk(c, Buffer.from(first), 'again.xml');
    const page = await c.get(`/import/${id}?show=duplicates`);
    expect((page.body.match(/data-duplicate=/g) ?? []).length).toBe(5);
    expect(page.body).toContain('та же запись (из прежней выгрузки)');
    const before = (await b.database.db.select({ n: count() }).from(persons))[0].n;
    const batch = await commit(b, c, id);
    expect(batch.report).toMatchObject({ persons: { created: 0, updated: 0 }, organizations: { created: 0 }, groups: { created: 0 } });
    expect((await b.database.db.select({ n: count() }).from(persons))[0].n).toBe(before);
  });

  it('exports for a typo what /contacts shows for it when "including similar" is ticked, nothing otherwise', async () => {
    const c = await a.as('employee');
    const q = encodeURIComponent('ёлкена');
    const list = await c.get(`/contacts?q=${q}`);
    expect(list.body).toContain('Ромашка');
    const exact = await c.get(`/export.xml?q=${q}`);
    await assertValid(exact.body);
    expect(exact.body).not.toContain('<surname>Ёлкина</surname>');
    const sel = await c.get(`/export.xml?q=${q}&approx=1`);
    expect(sel.statusCode).toBe(200);
    await assertValid(sel.body);
    expect(sel.body).toContain('<surname>Ёлкина</surname>');
  });

  it('exports the current selection and one group, each valid and closed under references', async () => {
    const c = await a.as('employee');
    const sel = await c.get('/export.xml?group_by=region&q=%D1%91%D0%BB%D0%BA%D0%B8%D0%BD%D0%B0');
    expect(sel.statusCode).toBe(200);
    await assertValid(sel.body);
    expect(sel.body).toContain('scope="selection"');
    expect(sel.body).toContain('<surname>Ёлкина</surname>');
    expect(sel.body).not.toContain('<surname>Сидоров</surname>');
    // Her organization comes along, so the link resolves; her VIP membership and the group too.
    expect(sel.body).toContain('<name>ООО «Ромашка»</name>');
    expect(sel.body).not.toContain('Северный завод');
    expect(sel.body).toContain('<name>VIP</name>');
    expect((sel.body.match(/<membership /g) ?? []).length).toBe(1);

    const org = await c.get(`/export.xml?org=${dir.romashka.id}`);
    await assertValid(org.body);
    expect((org.body.match(/<person /g) ?? []).length).toBe(2);

    const grp = await c.get(`/export.xml?group=${dir.vip.id}`);
    expect(grp.statusCode).toBe(200);
    await assertValid(grp.body);
    expect(grp.body).toContain('scope="group"');
    expect((grp.body.match(/<group /g) ?? []).length).toBe(1);
    expect((grp.body.match(/<person /g) ?? []).length).toBe(2);
    expect((grp.body.match(/<organization /g) ?? []).length).toBe(1);
    expect(grp.body).toContain('<reason>Крупнейший заказчик</reason>');
    expect(grp.body).not.toContain('<photo');

    expect((await c.get('/export.xml?group=999999')).statusCode).toBe(404);
  });
});

/** Two empty installations for one describe block: what is made in `src` travels to `dst` as XML. */
function twoInstallations() {
  const apps = {} as { src: TestApp; dst: TestApp };
  beforeAll(async () => {
    [apps.src, apps.dst] = await Promise.all([createTestApp(), createTestApp()]);
  });
  afterAll(async () => {
    await apps.src?.close();
    await apps.dst?.close();
  });
  return apps;
}

/**
 * Exports `src` (one organization, person, group and membership), imports the file into `dst`
 * through /import and exports `dst`: both files, each valid against the XSD.
 */
async function carry({ src, dst }: { src: TestApp; dst: TestApp }, fileName: string) {
  const first = (await (await src.as('employee')).get('/export.xml')).body;
  await assertValid(first);
  const c = await dst.as('secretary');
  const id = await uploadOk(c, Buffer.from(first), fileName);
  const batch = await commit(dst, c, id);
  expect(batch.report).toMatchObject({ persons: { created: 1 }, organizations: { created: 1 }, groups: { created: 1 }, memberships: { created: 1 } });
  const second = (await c.get('/export.xml')).body;
  await assertValid(second);
  return { first, second };
}

describe('text that looks like markup', () => {
  // Characters and entity-looking strings a user may well type; every "&" must leave as "&amp;",
  // or the importer reads "&lt;" back as "<" and the text changes on its way through the file.
  const tricky = '&lt;b&gt; & <x> "q"';
  const apps = twoInstallations();

  it('survives export → import → export unchanged, and the file stays valid', async () => {
    const { src, dst } = apps;
    const db = src.database.db;
    const s = src.users.secretary;
    const org = await makeOrganization(db, s, { name: `ООО ${tricky}`, note: tricky });
    const note = `${tricky}\n&amp; &#38; &nbsp; &unknown; a&b;c`;
    const person = await makePerson(db, s, { surname: `Иванов ${tricky}`, firstName: tricky, note, organizationId: org.id, emails: ['a&b@example.com'] });
    const group = await createGroup(db, s, { name: `Группа ${tricky}`, description: tricky, mark: 'none' });
    await addMember(db, s, group.id, { personId: person.id }, { reason: tricky, documentNumbers: '' });

    const { first, second } = await carry(apps, 'tricky.xml');
    expect(first).toContain(`<surname>Иванов &amp;lt;b&amp;gt; &amp; &lt;x&gt; "q"</surname>`);
    expect(first).toContain(`<note>&amp;lt;b&amp;gt; &amp; &lt;x&gt; "q"\n&amp;amp; &amp;#38; &amp;nbsp; &amp;unknown; a&amp;b;c</note>`);
    const [copy] = await dst.database.db.select().from(persons);
    expect(copy).toMatchObject({ surname: `Иванов ${tricky}`, firstName: tricky, note });
    const [copyOrg] = await dst.database.db.select().from(organizations);
    expect(copyOrg).toMatchObject({ name: `ООО ${tricky}`, note: tricky });
    expect(comparable(second)).toBe(comparable(first));
  });

  it('cites the documents of each membership, and only its own', async () => {
    const { src } = apps;
    const db = src.database.db;
    const s = src.users.secretary;
    const [a, b] = [await makePerson(db, s), await makePerson(db, s)];
    const docs = [await makeDocument(db, s, { personId: a.id }), await makeDocument(db, s, { personId: a.id }), await makeDocument(db, s, { personId: b.id })];
    const group = await createGroup(db, s, { name: 'С документами', description: '', mark: 'none' });
    await addMember(db, s, group.id, { personId: a.id }, { reason: '', documentNumbers: `${docs[1].regNumber}, ${docs[0].regNumber}` });
    await addMember(db, s, group.id, { personId: b.id }, { reason: '', documentNumbers: '' });
    const other = await createGroup(db, s, { name: 'Ещё', description: '', mark: 'none' });
    await addMember(db, s, other.id, { personId: b.id }, { reason: '', documentNumbers: docs[2].regNumber });

    const xml = (await (await src.as('employee')).get(`/export.xml?group=${group.id}`)).body;
    await assertValid(xml);
    const sorted = [docs[0].regNumber, docs[1].regNumber].sort();
    expect(xml).toMatch(new RegExp(`person="p${a.id}-[0-9a-f]+" added="[^"]+">\\s*<document>${sorted[0]}</document>\\s*<document>${sorted[1]}</document>\\s*</membership>`));
    expect(xml).toMatch(new RegExp(`person="p${b.id}-[0-9a-f]+" added="[^"]+"/>`));
    expect(xml).not.toContain(docs[2].regNumber);
    const all = (await (await src.as('employee')).get('/export.xml')).body;
    await assertValid(all);
    expect((all.match(/<document>/g) ?? []).length).toBe(3);
    expect(all).toMatch(new RegExp(`person="p${b.id}-[0-9a-f]+" added="[^"]+">\\s*<document>${docs[2].regNumber}</document>\\s*</membership>`));

    // The documents are read for a whole batch of memberships: batches of one give the same.
    const scope = new ScopeSql({ kind: 'all' }, await bounds(db));
    const cited = async (size: number) => {
      const list: [string | null, string[] | null][] = [];
      for await (const batch of membershipBatches(db, scope, await keyContext(db), size)) list.push(...batch.map((m): [string | null, string[] | null] => [m.personKey, m.documents]));
      return list;
    };
    const one = await cited(1);
    expect(one).toEqual(await cited(1000));
    expect(one.filter(([, d]) => d).map(([, d]) => d)).toEqual([sorted, [docs[2].regNumber]]);
  });
});

describe('line breaks', () => {
  // A parser reads "\r\n" and a lone "\r" in the file as "\n": only a character reference brings a
  // carriage return back, so a note's line breaks survive the way through the file as they were.
  const lines = 'line1\r\nline2\rline3';
  const apps = twoInstallations();

  it('survive export → import into an empty installation → export, CR and CRLF included', async () => {
    const { src, dst } = apps;
    const db = src.database.db;
    const s = src.users.secretary;
    const org = await makeOrganization(db, s, { name: 'ООО «Переносы»', note: lines });
    const person = await makePerson(db, s, { surname: 'Строкин', note: `${lines}\n\tконец`, organizationId: org.id });
    const group = await createGroup(db, s, { name: 'Построчно', description: lines, mark: 'none' });
    await addMember(db, s, group.id, { personId: person.id }, { reason: lines, documentNumbers: '' });

    const { first, second } = await carry(apps, 'lines.xml');
    expect(first).not.toContain('\r');
    expect(first).toContain('<note>line1&#13;\nline2&#13;line3</note>');
    expect(first).toContain('<note>line1&#13;\nline2&#13;line3\n\tконец</note>');
    const copy = dst.database.db;
    expect((await copy.select().from(persons))[0].note).toBe(`${lines}\n\tконец`);
    expect((await copy.select().from(organizations))[0].note).toBe(lines);
    expect((await copy.select().from(mailingGroups))[0].description).toBe(lines);
    expect((await copy.select().from(groupMemberships))[0].reason).toBe(lines);
    expect(comparable(second)).toBe(comparable(first));
  });
});

describe('hostile and broken XML', () => {
  async function refused(xml: string, message: string) {
    const c = await b.as('secretary');
    const batches = (await b.database.db.select({ n: count() }).from(importBatches))[0].n;
    const people = (await b.database.db.select({ n: count() }).from(persons))[0].n;
    const res = await upload(c, Buffer.from(xml), 'evil.xml');
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
    expect((await b.database.db.select({ n: count() }).from(importBatches))[0].n).toBe(batches);
    expect((await b.database.db.select({ n: count() }).from(persons))[0].n).toBe(people);
  }

  const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
  const open = '<contacts xmlns="urn:edms:crm:contacts:1" version="1" exported="2026-01-01T00:00:00Z" scope="all">';

  it('refuses an external entity (XXE)', async () => {
    await refused(
      `${head}<!DOCTYPE contacts [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${open}<groups/><organizations/><persons><person id="p1"><surname>&xxe;</surname></person></persons><memberships/></contacts>`,
      'содержит объявление DOCTYPE',
    );
  });

  it('refuses a billion-laughs bomb', async () => {
    const entities = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`)].join('\n');
    await refused(`${head}<!DOCTYPE lolz [\n${entities}\n]>\n${open}<groups><group id="g1"><name>&lol9;</name></group></groups><organizations/><persons/><memberships/></contacts>`, 'содержит объявление DOCTYPE');
  });

  it('refuses an entity it does not know even without a DOCTYPE', async () => {
    await refused(`${head}${open}<groups><group id="g1"><name>&nbsp;</name></group></groups><organizations/><persons/><memberships/></contacts>`, 'XML-файл повреждён');
  });

  it('refuses a file valid against the XSD whose membership names a group not in the file', async () => {
    const xml = `${head}${open}
  <groups><group id="g1"><name>VIP</name></group></groups>
  <organizations/>
  <persons><person id="p1"><surname>Иванов</surname></person></persons>
  <memberships><membership group="g404" person="p1"/></memberships>
</contacts>`;
    await assertValid(xml);
    await refused(xml, 'ссылается на группу «g404», которой нет в файле');
  });

  it('takes a valid INN (spaces dropped) and leaves out a mistyped one with a warning', async () => {
    const c = await b.as('secretary');
    const xml = `${head}${open}<groups/><organizations>
  <organization id="o1"><name>ООО «Инн-Верный»</name><inn>7830 0022 93</inn></organization>
  <organization id="o2"><name>ООО «Инн-Ошибка»</name><inn>7830002294</inn></organization>
</organizations><persons/><memberships/></contacts>`;
    const id = await uploadOk(c, Buffer.from(xml), 'inn.xml');
    const preview = await c.get(`/import/${id}`);
    expect(preview.body).toContain('неверный ИНН пропущен: 7830002294');
    expect(preview.body).toContain('ИНН 7830002293');
    expect((await commit(b, c, id)).status).toBe('committed');
    const got = await b.database.db.select({ name: organizations.name, inn: organizations.inn }).from(organizations).where(sql`${organizations.name} like 'ООО «Инн-%'`).orderBy(organizations.name);
    expect(got).toEqual([{ name: 'ООО «Инн-Верный»', inn: '7830002293' }, { name: 'ООО «Инн-Ошибка»', inn: '' }]);
  });

  it('refuses XML of another kind, and a file that breaks the structure', async () => {
    await refused(`${head}<rss version="2.0"><channel/></rss>`, 'не выгрузка контактов этой системы');
    await refused(`${head}${open}<groups><group id="g1"><name>VIP</name><colour>red</colour></group></groups><organizations/><persons/><memberships/></contacts>`, 'Неожиданный элемент или атрибут «colour» в строке 2');
    await refused(`${head}${open}<groups/><organizations/><persons><person id="p1"><surname>Иванов</surname><gender>robot</gender></person></persons><memberships/></contacts>`, 'Недопустимое значение «robot»');
    await refused(`${head}${open}<groups/><organizations/><persons><person id="p1"><surname>Иванов</surname></person><person id="p1"><surname>Петров</surname></person></persons><memberships/></contacts>`, 'Идентификатор «p1» повторяется');
    await refused(`${head}${open}<groups/><organizations/><persons><person id="p1"><surname>Иванов</surname>`, 'XML-файл повреждён');
  });
});
