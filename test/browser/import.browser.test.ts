import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Page } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { persons } from '../../src/db/schema/persons.js';

let h: BrowserHarness;
let dir: string;
let existingId = 0;
beforeAll(async () => {
  h = await startHarness();
  const db = h.t.database.db;
  const s = h.t.users.secretary;
  const org = await makeOrganization(db, s, { name: 'ООО «Ромашка»' });
  existingId = (await makePerson(db, s, { surname: 'Сидоров', firstName: 'Иван', patronymic: 'Петрович', organizationId: org.id, jobTitle: 'Менеджер', emails: ['sidorov@romashka.ru'] })).id;
  dir = mkdtempSync(path.join(tmpdir(), 'crm-import-'));
  writeFileSync(
    path.join(dir, 'contacts.csv'),
    '\ufeff"Фамилия","Имя","Отчество","Организация","Должность","Адрес эл. почты","Рабочий телефон"\r\n' +
      '"Сидоров","Иван","Петрович","ООО «Ромашка»","Генеральный директор","sidorov@romashka.ru","+7 495 123-45-67"\r\n' +
      '"Новикова","Анна","","ООО «Ромашка»","Бухгалтер","novikova@romashka.ru",""\r\n',
  );
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function clickAndWait(page: Page, selector: string) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

const stored = async () => (await h.t.database.db.select().from(persons).where(eq(persons.id, existingId)))[0];

describe('import (browser)', () => {
  it('upload → preview → "update" for the duplicate → commit → report → undo', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts`);
    // The toolbar's Import button leads to the upload form.
    await clickAndWait(page, '[data-action=import]');
    expect(new URL(page.url()).pathname).toBe('/import');

    const input = await page.$('#import-upload input[type=file]');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path.join(dir, 'contacts.csv'));
    await clickAndWait(page, '#import-upload button[type=submit]');
    expect(new URL(page.url()).pathname).toMatch(/^\/import\/\d+$/);
    expect(await page.$eval('[data-encoding]', (el) => el.textContent)).toBe('utf-8-bom');
    expect(await page.$eval('[data-counts]', (el) => el.textContent)).toBe('2 записи, 1 возможный дубликат');
    expect(await page.$eval('tr[data-row-no="1"] [data-cell=duplicate]', (el) => el.textContent)).toContain('тот же e-mail');

    await page.select('select[name="row.1"]', 'update');
    await clickAndWait(page, '[data-action=commit]');
    // The page polls while the commit runs, then shows the report.
    await page.waitForSelector('[data-report]', { timeout: 30_000 });
    expect(await page.$eval('[data-count=created]', (el) => el.textContent)).toBe('1');
    expect(await page.$eval('[data-count=updated]', (el) => el.textContent)).toBe('1');
    expect(await stored()).toMatchObject({ jobTitle: 'Генеральный директор', version: 2 });

    await clickAndWait(page, '[data-action=undo]');
    await page.waitForSelector('[data-undone]');
    expect(await page.$eval('[data-undone] [data-count=removed]', (el) => el.textContent)).toBe('1');
    expect(await page.$eval('[data-undone] [data-count=restored]', (el) => el.textContent)).toBe('1');
    expect(await stored()).toMatchObject({ jobTitle: 'Менеджер', version: 3 });
    expect((await h.t.database.db.select().from(persons).where(eq(persons.surname, 'Новикова'))).length).toBe(0);
  });

  it('a CSV of unknown columns: the mapping step, a refused mapping explained, then the preview', async () => {
    writeFileSync(path.join(dir, 'clients.csv'), 'ФИО клиента;Телефон;Почта;Город\r\nКоваль Дарья;+7 900 123-45-67;koval@client.example;Рязань\r\n');
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/import`);
    const input = await page.$('#import-upload input[type=file]');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path.join(dir, 'clients.csv'));
    await clickAndWait(page, '#import-upload button[type=submit]');
    await page.waitForSelector('[data-mapping-columns]');
    expect(await page.$$eval('[data-mapping-columns] tbody tr', (rows) => rows.length)).toBe(4);
    expect(await page.$eval('tr[data-column="0"] td', (el) => el.textContent)).toContain('Коваль Дарья');
    // Two columns to one name field: refused with the reason, the choices kept.
    await page.select('select[name="col.0"]', 'lastName');
    await page.select('select[name="col.3"]', 'lastName');
    await clickAndWait(page, '[data-action=apply-mapping]');
    expect(await page.$eval('[data-mapping-error]', (el) => el.textContent)).toContain('Два столбца сопоставлены с одним полем «Фамилия»');
    expect(await page.$eval('select[name="col.3"]', (el) => (el as HTMLSelectElement).value)).toBe('lastName');
    await page.select('select[name="col.0"]', 'fullName');
    await page.select('select[name="col.3"]', 'h.city');
    await clickAndWait(page, '[data-action=apply-mapping]');
    expect(await page.$eval('[data-format]', (el) => el.textContent)).toContain('столбцы сопоставлены вручную');
    expect(await page.$eval('[data-counts]', (el) => el.textContent)).toContain('1 запись');
    expect(await page.$eval('tr[data-row-no="1"]', (el) => el.textContent)).toContain('Коваль');
  });

  it('an employee sees Export but not Import, and the export link carries the current filter', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/contacts?q=${encodeURIComponent('ромашка')}`);
    expect(await page.$('[data-action=import]')).toBeNull();
    expect(await page.$('[data-nav=import]')).toBeNull();
    const href = await page.$eval('[data-action=export-xml]', (el) => el.getAttribute('href'));
    expect(href).toBe(`/export.xml?q=${encodeURIComponent('ромашка')}`);
  });
});
