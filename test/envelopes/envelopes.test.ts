import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { settings } from '../../src/db/schema/settings.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { persons } from '../../src/db/schema/persons.js';
import { ENVELOPE_FORMAT_LIST } from '../../src/features/envelopes/formats.js';
import { ADDRESS, makeGroup, pageSizesMm, pdfText } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;
const count = (html: string, needle: string) => html.split(needle).length - 1;

/** A group of three who all get an envelope: an organization's person, a person with an own address, an organization. */
async function printableGroup() {
  const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Ромашка»', ...ADDRESS });
  const ivanov = await makePerson(db(), t.users.secretary, { surname: 'Иванов', firstName: 'Иван', patronymic: 'Петрович', gender: 'male', organizationId: org.id });
  const ivanova = await makePerson(db(), t.users.secretary, {
    surname: 'Иванова', firstName: 'Анна', patronymic: 'Сергеевна', gender: 'female',
    addrIndex: '190000', addrLocality: 'Санкт-Петербург', addrStreet: 'Невский пр.', addrHouse: '10', addrOffice: '3',
  });
  const group = await makeGroup(db(), [{ personId: ivanov.id }, { personId: ivanova.id }, { organizationId: org.id }]);
  return { org, ivanov, ivanova, group };
}

describe('own organization settings', () => {
  it('are for administrators only', async () => {
    for (const role of ['employee', 'secretary'] as const) {
      const c = await t.as(role);
      expect((await c.get('/admin/settings')).statusCode, role).toBe(403);
      expect((await c.post('/admin/settings', { name: 'Взлом' })).statusCode, role).toBe(403);
    }
    const stored = await db().select().from(settings).where(eq(settings.key, 'own_organization'));
    expect(stored).toEqual([]);
    const admin = await t.as('admin');
    const page = await admin.get('/admin/settings');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="addrIndex"');
    expect(page.body).toContain('name="defaultFormat"');
    expect(page.body).toContain('href="/admin/settings" aria-current=page');
  });

  it('refuse a bad index with a field error and store nothing', async () => {
    const admin = await t.as('admin');
    for (const addrIndex of ['12345', '1234ab']) {
      const res = await admin.post('/admin/settings', { name: 'АО «Отправитель»', addrIndex, addrLocality: 'Москва' });
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain('Почтовый индекс России — шесть цифр.');
      expect(res.body).toContain('value="АО «Отправитель»"');
    }
    expect((await admin.post('/admin/settings', { name: '' })).body).toContain('Заполните это поле.');
    expect(await db().select().from(settings).where(eq(settings.key, 'own_organization'))).toEqual([]);
    expect((await admin.post('/admin/settings', { _csrf: 'forged', name: 'X' })).statusCode).toBe(403);
  });

  it('are saved, audited and printed as the sender block', async () => {
    const admin = await t.as('admin');
    const res = await admin.post('/admin/settings', {
      name: 'АО «Отправитель»', addrIndex: '101000', addrLocality: 'Москва', addrStreet: 'ул. Мясницкая', addrHouse: '1', defaultFormat: 'C5',
    });
    expect(res.statusCode).toBe(303);
    const [row] = await db().select().from(settings).where(eq(settings.key, 'own_organization'));
    expect(row.value).toMatchObject({ name: 'АО «Отправитель»', addrIndex: '101000', addrStreet: 'ул. Мясницкая', defaultFormat: 'C5' });
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'settings'), eq(auditLog.entityId, 0)));
    expect(audit.map((a) => a.action)).toEqual(['create']);
    expect((audit[0].changes as Record<string, unknown>).addrIndex).toEqual([null, '101000']);

    const { group } = await printableGroup();
    const c = await t.as('employee');
    // No format in the URL: the default from the settings.
    const html = await c.get(`/groups/${group.id}/envelopes`);
    expect(html.body).toContain('href="/envelopes/style.css?format=C5"');
    expect(html.body).toContain('От кого');
    expect(html.body).toContain('АО «Отправитель»');
    const pdf = await c.get(`/groups/${group.id}/envelopes.pdf?format=DL`);
    const text = pdfText(pdf.rawPayload, 1, { layout: true });
    expect(text).toMatch(/От кого\s+АО «Отправитель»\s+Откуда\s+ул\. Мясницкая, д\. 1\s+Москва\s+101000/);

    await admin.post('/admin/settings', { name: 'АО «Отправитель»', addrIndex: '101000', addrLocality: 'Москва', addrStreet: 'ул. Мясницкая', addrHouse: '2', defaultFormat: 'DL' });
    const audit2 = await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'settings'), eq(auditLog.entityId, 0)));
    expect(audit2.map((a) => a.action)).toEqual(['create', 'update']);
    expect(audit2[1].changes).toEqual({ addrHouse: ['1', '2'], defaultFormat: ['C5', 'DL'] });
  });
});

describe('envelopes of a group', () => {
  it('are a printable HTML page, for employees too', async () => {
    const { group, ivanov } = await printableGroup();
    const c = await t.as('employee');
    const res = await c.get(`/groups/${group.id}/envelopes?format=DL`);
    expect(res.statusCode).toBe(200);
    // The print layout's own files by their versioned URLs, cached for a year like the app's.
    const css = /<link rel="stylesheet" href="(\/assets\/print\.css\?v=[0-9a-f]{12})">/.exec(res.body);
    expect(css, 'versioned print.css').not.toBeNull();
    expect((await c.get(css![1].replace('&amp;', '&'))).headers['cache-control']).toContain('immutable');
    expect(res.body).toContain('href="/envelopes/style.css?format=DL"');
    expect(count(res.body, 'data-testid="envelope"')).toBe(3);
    expect(res.body).toContain('3 конверта');
    expect(res.body).toContain('Иванову И. П.');
    expect(res.body).toContain('Ивановой А. С.');
    expect(res.body).toContain('Невский пр., д. 10, кв. 3');
    expect(res.body).toContain('data-index="190000"');
    expect(res.body).toContain('data-index="620014"');
    expect(res.body).not.toContain('data-testid="skipped"');
    // Nothing inline: the CSP allows neither <style> nor style attributes nor inline scripts.
    expect(res.body).not.toMatch(/<style|style="|<script>/);
    expect(res.headers['content-security-policy']).toContain("style-src 'self'");
    // Russian Post order in the page source as well: name, street, locality, region, index.
    const i = ['Кому', 'ООО «Ромашка»', 'Иванову И. П.', 'Куда', 'ул. Малышева, д. 5, оф. 12', 'Екатеринбург', 'Свердловская область', 'Индекс', '620014'].map((s) =>
      res.body.indexOf(s, res.body.indexOf(`data-testid="envelope"`)),
    );
    expect(i.every((v, k) => v > 0 && (k === 0 || v > i[k - 1])), JSON.stringify(i)).toBe(true);
    expect(ivanov.id).toBeGreaterThan(0);
  });

  it('are one PDF page per envelope, the page the size of the envelope, for every format', async () => {
    const { group } = await printableGroup();
    const c = await t.as('employee');
    for (const f of ENVELOPE_FORMAT_LIST) {
      const res = await c.get(`/groups/${group.id}/envelopes.pdf?format=${encodeURIComponent(f.label)}`);
      expect(res.statusCode, f.label).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe(`inline; filename="envelopes-group-${group.id}-${f.id}.pdf"`);
      const sizes = await pageSizesMm(res.rawPayload);
      expect(sizes.length, f.label).toBe(3);
      for (const s of sizes) {
        expect(Math.abs(s.w - f.width), `${f.label} width ${s.w}`).toBeLessThanOrEqual(0.5);
        expect(Math.abs(s.h - f.height), `${f.label} height ${s.h}`).toBeLessThanOrEqual(0.5);
      }
    }
  });

  it('print the recipient lines in Russian Post order', async () => {
    const { group } = await printableGroup();
    const c = await t.as('employee');
    const pdf = (await c.get(`/groups/${group.id}/envelopes.pdf?format=DL`)).rawPayload;
    // Members sort by name: Иванов, Иванова, then the organization («Ромашка» sorts after the letters).
    const page1 = pdfText(pdf, 1, { layout: true });
    expect(page1).toMatch(/Кому\s+ООО «Ромашка»\s+Иванову И\. П\.\s+Куда\s+ул\. Малышева, д\. 5, оф\. 12\s+Екатеринбург\s+Свердловская область\s+Индекс\s+620014/);
    expect(page1).toContain('индекс места назначения');
    const page2 = pdfText(pdf, 2, { layout: true });
    expect(page2).toMatch(/Кому\s+Ивановой А\. С\.\s+Куда\s+Невский пр\., д\. 10, кв\. 3\s+Санкт-Петербург\s+Индекс\s+190000/);
    expect(page2).not.toContain('Ромашка');
    const page3 = pdfText(pdf, 3, { layout: true });
    expect(page3).toMatch(/Кому\s+ООО «Ромашка»\s+Куда\s+ул\. Малышева/);
    expect(page3).not.toContain('Иванов');
  });

  it('leave out members without a usable address and list them with links to fix them', async () => {
    const { group: base, org } = await printableGroup();
    const noAddress = await makePerson(db(), t.users.secretary, { surname: 'Безадресов' });
    const fiveDigits = await makePerson(db(), t.users.secretary, { surname: 'Пятизначный', ...ADDRESS, addrIndex: '62001' });
    const letters = await makePerson(db(), t.users.secretary, { surname: 'Буквенный', ...ADDRESS, addrIndex: '62OO14' });
    const orgNoStreet = await makeOrganization(db(), t.users.secretary, { name: 'АО «Без улицы»', addrIndex: '620014' });
    const workerThere = await makePerson(db(), t.users.secretary, { surname: 'Сотрудников', organizationId: orgNoStreet.id });
    const archived = await makePerson(db(), t.users.secretary, { surname: 'Архивный', ...ADDRESS });
    await db().update(persons).set({ archivedAt: new Date() }).where(eq(persons.id, archived.id));
    const group = await makeGroup(db(), [
      { organizationId: org.id },
      { personId: noAddress.id },
      { personId: fiveDigits.id },
      { personId: letters.id },
      { organizationId: orgNoStreet.id },
      { personId: workerThere.id },
      { personId: archived.id },
    ]);
    expect(base.id).not.toBe(group.id);

    const secretary = await t.as('secretary');
    const page = await secretary.get(`/groups/${group.id}/envelopes?format=DL`);
    expect(page.statusCode).toBe(200);
    expect(count(page.body, 'data-testid="envelope"')).toBe(1);
    expect(page.body).toContain('6 адресатов без пригодного адреса');
    const row = (kind: string, id: number) => new RegExp(`<tr data-kind="${kind}" data-id="${id}">([\\s\\S]*?)</tr>`).exec(page.body)?.[1] ?? '';
    expect(row('person', noAddress.id)).toContain('нет почтового адреса');
    expect(row('person', noAddress.id)).toContain(`href="/persons/${noAddress.id}/edit"`);
    expect(row('person', fiveDigits.id)).toContain('индекс должен состоять из шести цифр');
    expect(row('person', letters.id)).toContain('индекс должен состоять из шести цифр');
    expect(row('organization', orgNoStreet.id)).toContain('нет ни улицы, ни населённого пункта');
    expect(row('organization', orgNoStreet.id)).toContain(`href="/organizations/${orgNoStreet.id}/edit"`);
    expect(row('person', workerThere.id)).toContain(`href="/organizations/${orgNoStreet.id}/edit"`);
    expect(row('person', archived.id)).toContain('карточка в архиве');

    // Employees cannot edit: their links lead to the cards.
    const employee = await t.as('employee');
    const seen = await employee.get(`/groups/${group.id}/envelopes?format=DL`);
    expect(seen.body).toContain(`href="/persons/${noAddress.id}"`);
    expect(seen.body).not.toContain(`/persons/${noAddress.id}/edit`);

    const pdf = await employee.get(`/groups/${group.id}/envelopes.pdf?format=DL`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['x-skipped-addressees']).toBe('6');
    expect((await pageSizesMm(pdf.rawPayload)).length).toBe(1);
  });

  it('say so instead of printing an empty PDF when the group has no members or nobody has an address', async () => {
    const removedOnly = await makePerson(db(), t.users.secretary, { surname: 'Бывший', ...ADDRESS });
    const empty = await makeGroup(db(), [{ personId: removedOnly.id, removed: true }], 'Пустая группа');
    const c = await t.as('employee');
    const html = await c.get(`/groups/${empty.id}/envelopes?format=DL`);
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('В группе «Пустая группа» нет участников');
    const pdf = await c.get(`/groups/${empty.id}/envelopes.pdf?format=DL`);
    expect(pdf.statusCode).toBe(422);
    expect(pdf.headers['content-type']).toContain('text/html');
    expect(pdf.body).toContain('нет участников');

    const nobody = await makePerson(db(), t.users.secretary, { surname: 'Никтов' });
    const noAddresses = await makeGroup(db(), [{ personId: nobody.id }]);
    const page = await c.get(`/groups/${noAddresses.id}/envelopes.pdf?format=C4`);
    expect(page.statusCode).toBe(422);
    expect(page.body).toContain('Ни у кого из адресатов нет пригодного почтового адреса');
    expect(page.body).toContain(`href="/persons/${nobody.id}"`);
    expect(page.body).not.toContain('%PDF');

    expect((await c.get('/groups/999999/envelopes.pdf?format=DL')).statusCode).toBe(404);
  });

  it('refuse an unknown format with a clear message, not a server error', async () => {
    const { group, ivanov } = await printableGroup();
    const c = await t.as('employee');
    for (const url of [`/groups/${group.id}/envelopes?format=B4`, `/groups/${group.id}/envelopes.pdf?format=B4`, `/persons/${ivanov.id}/envelope.pdf?format=B4`, '/envelopes/style.css?format=B4']) {
      const res = await c.get(url);
      expect(res.statusCode, url).toBe(422);
      expect(res.body, url).toContain('Неизвестный формат конверта «B4». Доступны: DL, C6, C6/C5, C5, C4.');
    }
    const hostile = await c.get(`/groups/${group.id}/envelopes?format=${encodeURIComponent('<b>x')}`);
    expect(hostile.statusCode).toBe(422);
    expect(hostile.body).toContain('«&lt;b&gt;x»');
  });

  it('fit a 400-character organization name by stepping the font down', async () => {
    const name = `ООО «${'Очень длинное название '.repeat(18)}`.slice(0, 399) + '»';
    expect(name.length).toBe(400);
    const org = await makeOrganization(db(), t.users.secretary, { name, ...ADDRESS });
    const short = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Кратко»', ...ADDRESS });
    const group = await makeGroup(db(), [{ organizationId: org.id }, { organizationId: short.id }]);
    const c = await t.as('employee');
    const res = await c.get(`/groups/${group.id}/envelopes?format=C6`);
    const fonts = [...res.body.matchAll(/class="box recipient fs-(\d+)" data-font="(\d+)"/g)].map((m) => Number(m[1]));
    expect(fonts).toHaveLength(2);
    const [small, large] = fonts.sort((a, b) => a - b);
    // C6 is smaller than DL: its largest step is 12 pt.
    expect(large).toBe(12);
    expect(small).toBeLessThanOrEqual(9);
    expect(small).toBeGreaterThanOrEqual(6);
  });

  it('grow the recipient block with the envelope: larger type on C5, larger still on C4', async () => {
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Ромашка»', ...ADDRESS });
    const group = await makeGroup(db(), [{ organizationId: org.id }]);
    const c = await t.as('employee');
    const font = async (format: string) => {
      const res = await c.get(`/groups/${group.id}/envelopes?format=${format}`);
      return { recipient: Number(/class="box recipient fs-(\d+)"/.exec(res.body)![1]) };
    };
    const sizes = Object.fromEntries(await Promise.all(ENVELOPE_FORMAT_LIST.map(async (f) => [f.id, (await font(f.id)).recipient] as const)));
    // A short address takes each envelope's largest step, which scales with the envelope's size.
    expect(sizes).toEqual({ C6: 12, DL: 14, C6C5: 15, C5: 17, C4: 25 });
    for (const f of ENVELOPE_FORMAT_LIST) expect(sizes[f.id], f.id).toBe(f.maxPt);
    // The stylesheet has a class for every step.
    const css = await c.get('/assets/print.css');
    for (const f of ENVELOPE_FORMAT_LIST) expect(css.body).toContain(`.fs-${f.maxPt} { font-size: ${f.maxPt}pt; }`);
  });

  it('print a sheet of labels at one size; only a label that does not fit shrinks', async () => {
    const members = [];
    for (let i = 0; i < 6; i++) members.push({ organizationId: (await makeOrganization(db(), t.users.secretary, { name: `ООО «Лес ${i}»`, ...ADDRESS })).id });
    // Shorter than the others: alone it would take a larger step.
    members.push({ organizationId: (await makeOrganization(db(), t.users.secretary, { name: 'АО «Я»', ...ADDRESS, addrStreet: 'ул. А', addrRegion: '' })).id });
    const long = `ООО «${'Научно-производственное объединение '.repeat(4)}»`;
    members.push({ organizationId: (await makeOrganization(db(), t.users.secretary, { name: long, ...ADDRESS })).id });
    const group = await makeGroup(db(), members);
    const c = await t.as('employee');
    const res = await c.get(`/groups/${group.id}/labels?sheet=L7160`);
    const labels = [...res.body.matchAll(/<div class="label fs-(\d+)" data-testid="label"><div class="names">(.*?)<\/div><div class="where">/g)].map((m) => ({ pt: Number(m[1]), name: m[2] }));
    expect(labels).toHaveLength(8);
    const ordinary = labels.filter((l) => !l.name.includes('Научно'));
    expect(new Set(ordinary.map((l) => l.pt)).size).toBe(1);
    const longOne = labels.find((l) => l.name.includes('Научно'))!;
    expect(longOne.pt).toBeLessThan(ordinary[0].pt);
  });
});

describe('a single envelope from a card', () => {
  it('prints for a person and for an organization', async () => {
    const { ivanova, org } = await printableGroup();
    const c = await t.as('employee');
    const pdf = await c.get(`/persons/${ivanova.id}/envelope.pdf?format=C6`);
    expect(pdf.statusCode).toBe(200);
    const sizes = await pageSizesMm(pdf.rawPayload);
    expect(sizes).toHaveLength(1);
    expect(Math.abs(sizes[0].w - 162)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(sizes[0].h - 114)).toBeLessThanOrEqual(0.5);
    expect(pdfText(pdf.rawPayload)).toContain('Ивановой А. С.');
    const html = await c.get(`/organizations/${org.id}/envelope?format=DL`);
    expect(html.statusCode).toBe(200);
    expect(count(html.body, 'data-testid="envelope"')).toBe(1);
    expect(html.body).toContain(`href="/organizations/${org.id}"`);
    expect((await c.get('/persons/999999/envelope')).statusCode).toBe(404);
  });

  it('uses the override from the card, saved through the person form', async () => {
    const c = await t.as('secretary');
    const res = await c.post('/persons', { surname: 'Дурново', firstName: 'Пётр', patronymic: 'Николаевич', gender: 'male', dativeOverride: 'Дурново П. Н.', ...ADDRESS });
    expect(res.statusCode).toBe(303);
    const id = Number(String(res.headers.location).split('/').pop());
    const [row] = await db().select().from(persons).where(eq(persons.id, id));
    expect(row.dativeOverride).toBe('Дурново П. Н.');
    expect((await c.get(`/persons/${id}/edit`)).body).toContain('name="dativeOverride" value="Дурново П. Н."');
    const page = await c.get(`/persons/${id}/envelope?format=DL`);
    expect(page.body).toContain('<div>Дурново П. Н.</div>');
    expect((await c.post('/persons', { surname: 'Длинный', dativeOverride: 'я'.repeat(301) })).statusCode).toBe(422);
  });

  it('explains a missing address instead of printing', async () => {
    const p = await makePerson(db(), t.users.secretary, { surname: 'Бездомный', addrIndex: '12345', addrLocality: 'Москва' });
    const c = await t.as('secretary');
    const res = await c.get(`/persons/${p.id}/envelope.pdf`);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('индекс должен состоять из шести цифр');
    expect(res.body).toContain(`href="/persons/${p.id}/edit"`);
  });
});

describe('label sheets', () => {
  it('start at the chosen label and print on A4', async () => {
    const { group } = await printableGroup();
    const c = await t.as('employee');
    const html = await c.get(`/groups/${group.id}/labels?sheet=L7160&start=5`);
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('href="/labels/style.css?sheet=L7160"');
    expect(count(html.body, 'data-testid="label"')).toBe(3);
    const firstSheet = html.body.slice(html.body.indexOf('data-testid="sheet"'));
    expect(firstSheet.indexOf('data-testid="label"')).toBeGreaterThan(0);
    expect(count(firstSheet.slice(0, firstSheet.indexOf('data-testid="label"')), 'class="label blank"')).toBe(4);

    const pdf = await c.get(`/groups/${group.id}/labels.pdf?sheet=L7160&start=20`);
    expect(pdf.statusCode).toBe(200);
    const sizes = await pageSizesMm(pdf.rawPayload);
    // Labels 20 and 21 on the first sheet, the third on a second one.
    expect(sizes).toHaveLength(2);
    for (const s of sizes) {
      expect(Math.abs(s.w - 210)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(s.h - 297)).toBeLessThanOrEqual(0.5);
    }
    expect(pdfText(pdf.rawPayload, 2)).toContain('ООО «Ромашка»');

    for (const url of [`/groups/${group.id}/labels?sheet=L9999`, `/groups/${group.id}/labels?sheet=L7160&start=22`, `/groups/${group.id}/labels.pdf?start=0`]) {
      expect((await c.get(url)).statusCode, url).toBe(422);
    }
    expect((await c.get(`/groups/${group.id}/labels?sheet=L7160&start=22`)).body).toContain('Номер первой наклейки — целое число от 1 до 21.');
    const css = await c.get('/labels/style.css?sheet=3475');
    expect(css.body).toContain('grid-template-columns: repeat(3, 70mm); grid-template-rows: repeat(8, 36mm)');
  });
});
