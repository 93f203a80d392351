import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, asc, count, eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeDocument, makePerson } from '../helpers/factories.js';
import { documentCounters, documents } from '../../src/db/schema/documents.js';
import { groupMemberships } from '../../src/db/schema/groups.js';
import { mailingRecipients, mailings } from '../../src/db/schema/mailings.js';
import { idFrom, makeGroup, mixedGroup, tracking, versionOf, wrongCheckDigit, ADDRESS } from './helpers.js';

let t: TestApp;
const db = () => t.database.db;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const today = new Date().toISOString().slice(0, 10);
const year = Number(today.slice(0, 4));

async function create(groupId: number, over: Record<string, string> = {}) {
  const c = await t.as('secretary');
  return c.post('/mailings', { source: 'group', groupId, subject: 'Поздравление с Новым годом', kind: 'registered', category: 'letter', print: 'envelopes:DL', mailDate: today, ...over });
}

async function recipients(mailingId: number) {
  return db().select().from(mailingRecipients).where(eq(mailingRecipients.mailingId, mailingId)).orderBy(asc(mailingRecipients.sortKey));
}

async function mailingCount() {
  const [r] = await db().select({ n: count() }).from(mailings);
  return Number(r.n);
}

async function outgoingSeq() {
  const [r] = await db().select().from(documentCounters).where(and(eq(documentCounters.direction, 'outgoing'), eq(documentCounters.year, year)));
  return r?.lastSeq ?? 0;
}

describe('creating a mailing', () => {
  it('freezes the recipients with their addresses, and lists the left-out members with the reason', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const res = await create(g.group.id);
    expect(res.statusCode).toBe(303);
    const id = idFrom(res.headers.location);
    const rows = await recipients(id);
    const by = (name: string) => rows.find((r) => r.displayName.startsWith(name))!;
    expect(rows).toHaveLength(5);
    expect(by('Алексеев')).toMatchObject({ excluded: false, addressSource: 'person', postcode: '620014' });
    expect(by('Алексеев').addressLine).toContain('ул. Ленина');
    expect(by('Алексеев').addressLine.startsWith('620014, ')).toBe(true);
    // Person → organization fallback, as for envelopes.
    expect(by('Борисов')).toMatchObject({ excluded: false, addressSource: 'organization', ownerOrganizationName: 'ООО «Ромашка»' });
    expect(by('Борисов').nameLines[0]).toBe('ООО «Ромашка»');
    expect(by('Васильев')).toMatchObject({ excluded: true, exclusionReason: 'noAddress', address: null });
    expect(by('ООО «Чёрная')).toMatchObject({ excluded: true, exclusionReason: 'blacklisted' });
    expect(by('Григорьев')).toMatchObject({ excluded: true, exclusionReason: 'archived' });

    const c = await t.as('employee');
    const page = await c.get(`/mailings/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Поздравление с Новым годом');
    expect(page.body).toContain('нет почтового адреса');
    expect(page.body).toContain('в чёрном списке');
    expect(page.body).toContain('карточка в архиве');
    // An employee reads, but gets no forms that change it.
    expect(page.body).not.toContain('data-action="register"');
    const list = await c.get('/mailings');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/mailings/${id}`);
  });

  it('lets only a secretary create', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const employee = await t.as('employee');
    expect((await employee.get(`/mailings/new?group=${g.group.id}`)).statusCode).toBe(403);
    const before = await mailingCount();
    const res = await employee.post('/mailings', { source: 'group', groupId: g.group.id, subject: 'x', mailDate: today });
    expect(res.statusCode).toBe(403);
    expect(await mailingCount()).toBe(before);
    const secretary = await t.as('secretary');
    const form = await secretary.get(`/mailings/new?group=${g.group.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`<option value="${g.group.id}" selected`);
  });

  it('refuses an empty group, a group of unaddressed members, and a form with errors, writing nothing', async () => {
    const empty = await makeGroup(db(), [], 'Пустая группа');
    const nowhere = await makePerson(db(), t.users.secretary, { surname: 'Безадресный' });
    const noAddr = await makeGroup(db(), [{ personId: nowhere.id }], 'Без адресов');
    const before = await mailingCount();

    const a = await create(empty.id);
    expect(a.statusCode).toBe(422);
    expect(a.body).toContain('В группе «Пустая группа» нет ни одного участника');

    const b = await create(noAddr.id);
    expect(b.statusCode).toBe(422);
    expect(b.body).toContain('нет адреса, пригодного для письма');

    const c = await create(noAddr.id, { subject: '', mailDate: '31.02.2026' });
    expect(c.statusCode).toBe(422);
    expect(c.body).toContain('Заполните это поле.');
    expect(await mailingCount()).toBe(before);

    const d = await create(0 as unknown as number, { groupId: '' });
    expect(d.statusCode).toBe(422);
    expect(d.body).toContain('Выберите группу рассылки.');
    expect(await mailingCount()).toBe(before);
  });

  it('escapes a hostile subject on every page', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const res = await create(g.group.id, { subject: '<script>alert(1)</script>' });
    const id = idFrom(res.headers.location);
    const c = await t.as('secretary');
    for (const url of [`/mailings/${id}`, '/mailings']) {
      const page = await c.get(url);
      expect(page.body).not.toContain('<script>alert(1)</script>');
      expect(page.body).toContain('&lt;script&gt;');
    }
  });

  it('freezes a /contacts selection', async () => {
    const p1 = await makePerson(db(), t.users.secretary, { surname: 'Зябликов', firstName: 'Павел', ...ADDRESS });
    const p2 = await makePerson(db(), t.users.secretary, { surname: 'Зябликова', firstName: 'Анна', ...ADDRESS, addrHouse: '9' });
    const c = await t.as('secretary');
    // The /contacts toolbar carries the selection to the new mailing's form.
    const contacts = await c.get('/contacts?q=%D0%97%D1%8F%D0%B1%D0%BB%D0%B8%D0%BA%D0%BE%D0%B2');
    expect(contacts.body).toMatch(/href="\/mailings\/new\?from=selection&amp;q=%D0%97[^"]*" data-action="selection-to-mailing"/);
    const form = await c.get('/mailings/new?from=selection&q=%D0%97%D1%8F%D0%B1%D0%BB%D0%B8%D0%BA%D0%BE%D0%B2');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('data-testid="selection-source"');
    const res = await c.post('/mailings', { source: 'selection', q: 'Зябликов', subject: 'Приглашение', kind: 'simple', category: 'letter', print: 'labels:L7160', mailDate: today });
    expect(res.statusCode).toBe(303);
    const rows = await recipients(idFrom(res.headers.location));
    expect(rows.map((r) => r.personId).sort()).toEqual([p1.id, p2.id].sort());
  });

  it('reads the selection\'s organization as /contacts does: any id up to the largest, nothing beyond', async () => {
    const p = await makePerson(db(), t.users.secretary, { surname: 'Щеглов', firstName: 'Пётр', ...ADDRESS });
    const c = await t.as('secretary');
    const q = '&q=%D0%A9%D0%B5%D0%B3%D0%BB%D0%BE%D0%B2';
    const count = (body: string) => /data-testid="selection-source">[^<]*?(\d+)/.exec(body)?.[1];
    const any = await c.get(`/mailings/new?from=selection${q}`);
    expect(any.statusCode).toBe(200);
    expect(count(any.body)).toBe('1');
    // A ten-digit id within range is an organization (none has it: nobody), as on /contacts.
    for (const org of ['1000000000', '2147483647']) {
      const res = await c.get(`/mailings/new?from=selection${q}&org=${org}`);
      expect(res.statusCode, org).toBe(200);
      expect(count(res.body), org).toBe('0');
      expect(res.body).toContain(`org=${org}`);
      expect((await c.get(`/contacts?org=${org}`)).statusCode).toBe(200);
    }
    // Beyond the ids the database holds, or not an id at all: a clean 4xx, never a 500.
    for (const org of ['2147483648', '99999999999', '1e3', '-1', '1.5']) {
      const res = await c.get(`/mailings/new?from=selection${q}&org=${org}`);
      expect(res.statusCode, org).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, org).toBeLessThan(500);
      expect((await c.get(`/contacts?org=${org}`)).statusCode, org).toBe(res.statusCode);
      const post = await c.post('/mailings', { source: 'selection', q: 'Щеглов', org, subject: 'Край', kind: 'simple', category: 'letter', print: 'labels:L7160', mailDate: today });
      expect(post.statusCode, org).toBeGreaterThanOrEqual(400);
      expect(post.statusCode, org).toBeLessThan(500);
    }
    const res = await c.post('/mailings', { source: 'selection', q: 'Щеглов', org: '', subject: 'Край', kind: 'simple', category: 'letter', print: 'labels:L7160', mailDate: today });
    expect(res.statusCode).toBe(303);
    expect((await recipients(idFrom(res.headers.location))).map((r) => r.personId)).toEqual([p.id]);
  });
});

describe('a draft', () => {
  it('keeps its recipients when the group changes, and offers to refresh them', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('secretary');
    expect((await c.get(`/mailings/${id}`)).body).not.toContain('data-testid="group-changed"');
    const late = await makePerson(db(), t.users.secretary, { surname: 'Поздняков', ...ADDRESS });
    await db().insert(groupMemberships).values({ groupId: g.group.id, personId: late.id });
    const page = await c.get(`/mailings/${id}`);
    expect(page.body).toContain('data-testid="group-changed"');
    expect((await recipients(id)).some((r) => r.personId === late.id)).toBe(false);

    // Left out by hand before the refresh: stays left out after it.
    const own = (await recipients(id)).find((r) => r.personId === g.own.id)!;
    expect((await c.post(`/mailings/${id}/recipients/${own.id}/exclude`, { version: versionOf(page.body) })).statusCode).toBe(303);
    const again = await c.get(`/mailings/${id}`);
    const res = await c.post(`/mailings/${id}/refresh`, { version: versionOf(again.body) });
    expect(res.statusCode).toBe(303);
    const rows = await recipients(id);
    expect(rows.find((r) => r.personId === late.id)).toMatchObject({ excluded: false });
    expect(rows.find((r) => r.personId === g.own.id)).toMatchObject({ excluded: true, exclusionReason: 'removed' });
    expect((await c.get(`/mailings/${id}`)).body).not.toContain('data-testid="group-changed"');
  });

  it('leaves out and takes back recipients, adds one by hand, and refuses a stale form', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('secretary');
    const rows = await recipients(id);
    const black = rows.find((r) => r.organizationId === g.black.id)!;
    const nowhere = rows.find((r) => r.personId === g.nowhere.id)!;
    const v1 = versionOf((await c.get(`/mailings/${id}`)).body);

    // A blacklisted member may be taken back on purpose.
    expect((await c.post(`/mailings/${id}/recipients/${black.id}/include`, { version: v1 })).statusCode).toBe(303);
    expect((await recipients(id)).find((r) => r.id === black.id)).toMatchObject({ excluded: false, exclusionReason: null });

    // The old version is stale now: 409 with the reason, nothing changed.
    const stale = await c.post(`/mailings/${id}/recipients/${black.id}/exclude`, { version: v1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Рассылку изменили, пока страница была открыта');
    expect((await recipients(id)).find((r) => r.id === black.id)).toMatchObject({ excluded: false });

    // Nobody can take back a member without an address.
    const v2 = versionOf((await c.get(`/mailings/${id}`)).body);
    const refused = await c.post(`/mailings/${id}/recipients/${nowhere.id}/include`, { version: v2 });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('нет пригодного адреса');

    const extra = await makePerson(db(), t.users.secretary, { surname: 'Добавочный', ...ADDRESS });
    const added = await c.post(`/mailings/${id}/recipients`, { version: v2, personId: extra.id });
    expect(added.statusCode).toBe(303);
    expect((await recipients(id)).find((r) => r.personId === extra.id)).toMatchObject({ excluded: false, postcode: '620014' });
    const v3 = versionOf((await c.get(`/mailings/${id}`)).body);
    const unusable = await c.post(`/mailings/${id}/recipients`, { version: v3, personId: g.nowhere.id });
    expect(unusable.statusCode).toBe(422);
    expect(unusable.body).toContain('нет адреса, по которому можно отправить письмо');
  });
});

describe('registration', () => {
  it('gives every included recipient a consecutive outgoing number once, and the cards show them', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('secretary');
    const before = await outgoingSeq();
    const page = await c.get(`/mailings/${id}`);
    const res = await c.post(`/mailings/${id}/register`, { version: versionOf(page.body) });
    expect(res.statusCode).toBe(303);

    const rows = (await recipients(id)).filter((r) => !r.excluded);
    expect(rows).toHaveLength(2);
    const docs = await db().select().from(documents).where(eq(documents.subject, 'Поздравление с Новым годом')).orderBy(asc(documents.regSeq));
    const mine = docs.filter((d) => rows.some((r) => r.documentId === d.id));
    expect(mine.map((d) => d.regSeq)).toEqual([before + 1, before + 2]);
    expect(mine.every((d) => d.direction === 'outgoing' && d.regDate === today)).toBe(true);
    expect(mine.map((d) => d.personId).sort()).toEqual([g.own.id, g.atOrg.id].sort());

    const shown = await c.get(`/mailings/${id}`);
    for (const d of mine) expect(shown.body).toContain(d.regNumber);

    // A second registration is refused and changes nothing.
    const twice = await c.post(`/mailings/${id}/register`, { version: versionOf(shown.body) });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('Рассылка уже зарегистрирована');
    expect(await outgoingSeq()).toBe(before + 2);

    // The next document of the register follows without a gap.
    const next = await makeDocument(db(), t.users.secretary, { direction: 'outgoing', personId: g.own.id });
    expect(next.regSeq).toBe(before + 3);

    // The card: the outgoing count includes the copy, and the mailings section names it.
    const card = await c.get(`/persons/${g.own.id}`);
    expect(card.body).toContain('data-testid="card-mailings"');
    expect(card.body).toContain(mine.find((d) => d.personId === g.own.id)!.regNumber);
    const list = await c.get(`/persons/${g.own.id}/correspondence`);
    expect(list.body).toContain(mine.find((d) => d.personId === g.own.id)!.regNumber);
    expect(list.body).toContain(`href="/mailings/${id}"`);
    // The left-out members' cards list the mailing with the reason, and no number.
    const black = await c.get(`/organizations/${g.black.id}`);
    expect(black.body).toContain('data-testid="card-mailings"');
    expect(black.body).toContain('в чёрном списке');
    // A card never mailed to has no such section.
    const stranger = await makePerson(db(), t.users.secretary, { surname: 'Посторонний', ...ADDRESS });
    expect((await c.get(`/persons/${stranger.id}`)).body).not.toContain('data-testid="card-mailings"');

    // Registered: the recipients are frozen.
    const frozen = await c.post(`/mailings/${id}/recipients/${rows[0].id}/exclude`, { version: versionOf(shown.body) });
    expect(frozen.statusCode).toBe(422);
    expect(frozen.body).toContain('Рассылка уже зарегистрирована');
  });

  it('registers once when two secretaries press "register" at the same moment', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('secretary');
    const version = versionOf((await c.get(`/mailings/${id}`)).body);
    const before = await outgoingSeq();
    const answers = await Promise.all([c.post(`/mailings/${id}/register`, { version }), c.post(`/mailings/${id}/register`, { version })]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([303, 409]);
    expect(await outgoingSeq()).toBe(before + 2);
    const linked = (await recipients(id)).filter((r) => r.documentId !== null);
    expect(linked).toHaveLength(2);
  });

  it('moves through its states in order; handing to the post office needs the numbers', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('secretary');
    let page = await c.get(`/mailings/${id}`);
    expect((await c.post(`/mailings/${id}/state`, { version: versionOf(page.body), to: 'handed' })).statusCode).toBe(422);
    expect((await c.post(`/mailings/${id}/state`, { version: versionOf(page.body), to: 'printed' })).statusCode).toBe(303);
    page = await c.get(`/mailings/${id}`);
    const refused = await c.post(`/mailings/${id}/state`, { version: versionOf(page.body), to: 'handed' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('Сначала зарегистрируйте рассылку');
    expect((await c.post(`/mailings/${id}/register`, { version: versionOf(page.body) })).statusCode).toBe(303);
    page = await c.get(`/mailings/${id}`);
    expect((await c.post(`/mailings/${id}/state`, { version: versionOf(page.body), to: 'handed' })).statusCode).toBe(303);
    const [m] = await db().select().from(mailings).where(eq(mailings.id, id));
    expect(m.state).toBe('handed');
  });
});

describe('tracking numbers', () => {
  async function registered() {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('secretary');
    await c.post(`/mailings/${id}/register`, { version: versionOf((await c.get(`/mailings/${id}`)).body) });
    return { g, id, c };
  }

  it('takes one per recipient, checks its check digit, and shows it on the card', async () => {
    const { g, id, c } = await registered();
    const r = (await recipients(id)).find((x) => x.personId === g.own.id)!;
    const good = tracking(101);
    let page = await c.get(`/mailings/${id}`);
    const bad = await c.post(`/mailings/${id}/recipients/${r.id}/tracking`, { version: versionOf(page.body), tracking: wrongCheckDigit(good) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('неверная контрольная цифра');
    expect((await recipients(id)).find((x) => x.id === r.id)!.tracking).toBeNull();

    const short = await c.post(`/mailings/${id}/recipients/${r.id}/tracking`, { version: versionOf(page.body), tracking: '12345' });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('ровно 14 цифр');

    // Written with spaces as on the receipt: stored as 14 digits.
    const spaced = `${good.slice(0, 6)} ${good.slice(6, 8)} ${good.slice(8, 13)} ${good.slice(13)}`;
    expect((await c.post(`/mailings/${id}/recipients/${r.id}/tracking`, { version: versionOf(page.body), tracking: spaced })).statusCode).toBe(303);
    expect((await recipients(id)).find((x) => x.id === r.id)!.tracking).toBe(good);
    const list = await c.get(`/persons/${g.own.id}/correspondence`);
    expect(list.body).toContain(good);
    page = await c.get(`/persons/${g.own.id}`);
    expect(page.body).toContain(good);
  });

  it('fills a pasted column in order, or nothing at all when a line is wrong', async () => {
    const { id, c } = await registered();
    const order = (await recipients(id)).filter((r) => !r.excluded);
    const [a, b] = [tracking(201), tracking(202)];
    let page = await c.get(`/mailings/${id}`);
    const bad = await c.post(`/mailings/${id}/tracking`, { version: versionOf(page.body), paste: `${a}\n${wrongCheckDigit(b)}\n` });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Строка 2');
    expect((await recipients(id)).every((r) => r.tracking === null)).toBe(true);

    const tooMany = await c.post(`/mailings/${id}/tracking`, { version: versionOf(page.body), paste: `${a}\n${b}\n${tracking(203)}` });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.body).toContain('Вставлено номеров: 3, а получателей: 2');

    const ok = await c.post(`/mailings/${id}/tracking`, { version: versionOf(page.body), paste: `${a}\r\n\r\n${b}\r\n` });
    expect(ok.statusCode).toBe(303);
    const after = (await recipients(id)).filter((r) => !r.excluded);
    expect(after.map((r) => r.id)).toEqual(order.map((r) => r.id));
    expect(after.map((r) => r.tracking)).toEqual([a, b]);

    // Two letters never share a number.
    page = await c.get(`/mailings/${id}`);
    const other = await registered();
    const first = (await recipients(other.id)).find((r) => !r.excluded)!;
    const dup = await other.c.post(`/mailings/${other.id}/recipients/${first.id}/tracking`, { version: versionOf((await other.c.get(`/mailings/${other.id}`)).body), tracking: a });
    expect(dup.statusCode).toBe(422);
    expect(dup.body).toContain('уже записан за другим письмом');
  });
});

describe('printing', () => {
  it('prints envelopes for exactly the included recipients, with the outgoing numbers when asked', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('employee');
    const html = await c.get(`/mailings/${id}/envelopes`);
    expect(html.statusCode).toBe(200);
    expect(html.body.match(/data-testid="envelope"/g)).toHaveLength(2);
    expect(html.body).not.toContain('Васильев');
    expect(html.body).not.toContain('data-testid="envelope-note"');

    const s = await t.as('secretary');
    await s.post(`/mailings/${id}/register`, { version: versionOf((await s.get(`/mailings/${id}`)).body) });
    const numbered = await c.get(`/mailings/${id}/envelopes?numbers=1`);
    const numbers = (await recipients(id)).filter((r) => r.documentId);
    const regs = await db().select({ n: documents.regNumber }).from(documents).where(eq(documents.id, numbers[0].documentId!));
    expect(numbered.body.match(/data-testid="envelope-note"/g)).toHaveLength(2);
    expect(numbered.body).toContain(regs[0].n);

    const labels = await c.get(`/mailings/${id}/labels`);
    expect(labels.statusCode).toBe(200);
    expect(labels.body).toContain('data-testid="label-count"');
    expect(labels.body).toContain(`/mailings/${id}/labels.pdf`);
    const labelsPdf = await c.get(`/mailings/${id}/labels.pdf`);
    expect(labelsPdf.statusCode).toBe(200);
    expect(labelsPdf.headers['content-type']).toBe('application/pdf');
    const { pageSizesMm, pdfText } = await import('../envelopes/helpers.js');
    expect((await pageSizesMm(labelsPdf.rawPayload)).map((p) => [Math.round(p.w), Math.round(p.h)])).toEqual([[210, 297]]);
    expect(pdfText(labelsPdf.rawPayload)).toContain('Алексеев');
    const envelopesPdf = await c.get(`/mailings/${id}/envelopes.pdf?numbers=1`);
    expect(envelopesPdf.statusCode).toBe(200);
    expect(await pageSizesMm(envelopesPdf.rawPayload)).toHaveLength(2);
    expect(pdfText(envelopesPdf.rawPayload)).toContain(regs[0].n);
  });

  it('keeps the letter file like a document file', async () => {
    const g = await mixedGroup(db(), t.users.secretary);
    const id = idFrom((await create(g.group.id)).headers.location);
    const c = await t.as('secretary');
    const page = await c.get(`/mailings/${id}`);
    const boundary = '----mailing';
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="письмо.pdf"\r\nContent-Type: text/html\r\n\r\n`),
      pdf,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await c.request({ method: 'POST', url: `/mailings/${id}/letter?_csrf=${encodeURIComponent(c.csrf)}`, payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(res.statusCode).toBe(303);
    expect(page.statusCode).toBe(200);
    const file = await (await t.as('employee')).get(`/mailings/${id}/letter`);
    expect(file.statusCode).toBe(200);
    // The type comes from the bytes, not from what the client claimed.
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.rawPayload.equals(pdf)).toBe(true);
  });
});

describe('form 103', () => {
  it('lists exactly the included recipients, 35 to a list, as PDF (A4 landscape), CSV and XLSX', async () => {
    const people = [];
    for (let i = 0; i < 37; i++) people.push(await makePerson(db(), t.users.secretary, { surname: `Списков${String(i).padStart(2, '0')}`, ...ADDRESS, addrHouse: String(i + 1) }));
    const nowhere = await makePerson(db(), t.users.secretary, { surname: 'Невключённый' });
    const group = await makeGroup(db(), [...people.map((p) => ({ personId: p.id })), { personId: nowhere.id }]);
    const id = idFrom((await create(group.id, { subject: 'Пакет писем' })).headers.location);
    const c = await t.as('secretary');
    await c.post(`/mailings/${id}/register`, { version: versionOf((await c.get(`/mailings/${id}`)).body) });

    const csv = await c.get(`/mailings/${id}/form103.csv`);
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.replace(/^\ufeff/, '').trim().split('\r\n').slice(1);
    expect(lines).toHaveLength(37);
    expect(lines.filter((l) => l.startsWith('1;'))).toHaveLength(35);
    expect(lines.filter((l) => l.startsWith('2;'))).toHaveLength(2);
    expect(csv.body).not.toContain('Невключённый');
    const docs = await db().select({ n: documents.regNumber }).from(mailingRecipients).innerJoin(documents, eq(documents.id, mailingRecipients.documentId)).where(eq(mailingRecipients.mailingId, id));
    for (const d of docs) expect(csv.body).toContain(d.n);

    const xlsx = await c.get(`/mailings/${id}/form103.xlsx`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');

    const pdf = await c.get(`/mailings/${id}/form103.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const { pageSizesMm, pdfText } = await import('../envelopes/helpers.js');
    const sizes = await pageSizesMm(pdf.rawPayload);
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    for (const s of sizes) {
      expect(Math.round(s.w)).toBe(297);
      expect(Math.round(s.h)).toBe(210);
    }
    const text = pdfText(pdf.rawPayload);
    expect(text).toContain('Списков00');
    expect(text).toContain('Списков36');
    expect(text).not.toContain('Невключённый');
  });
});
