/**
 * Writes the spreadsheet fixtures of the import tests (committed; the tests never run this):
 *
 *   npx tsx test/import/tools/make-xlsx-fixtures.ts
 *
 * - contacts-exceljs.xlsx: what a program writing with exceljs makes: a title line merged over the
 *   table, Russian Outlook headers, a formula (with its cached value), a date, a second sheet.
 * - contacts-libreoffice.xlsx: a CSV converted by LibreOffice Calc itself
 *   (`soffice --headless --convert-to xlsx`), as an office user's spreadsheet program writes it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';

const dir = new URL('../../../src/features/import/parse/__fixtures__/', import.meta.url).pathname;

const wb = new ExcelJS.Workbook();
wb.creator = 'crm fixtures';
const ws = wb.addWorksheet('Контакты');
ws.mergeCells('A1:H1');
ws.getCell('A1').value = 'Контакты отдела снабжения на 01.12.2026';
ws.addRow([]);
ws.getRow(2).values = ['Фамилия', 'Имя', 'Отчество', 'Организация', 'Должность', 'Рабочий телефон', 'Телефон переносной', 'Адрес эл. почты', 'День рождения', 'Заметки'];
ws.addRow(['Громов', 'Антон', 'Сергеевич', 'ООО «Альфа-Снаб»', { formula: 'CONCATENATE("Менеджер"," по закупкам")', result: 'Менеджер по закупкам' }, '+7 495 111-00-01', '+7 916 111-00-02', 'gromov@alfa-snab.example', new Date(Date.UTC(1982, 4, 17)), 'Поставки по пятницам']);
ws.addRow(['Белова', 'Ирина', 'Олеговна', 'ООО «Альфа-Снаб»', 'Бухгалтер', '+7 495 111-00-03', '', 'belova@alfa-snab.example', null, '']);
// A phone typed as a number in Excel: stored as a number cell.
ws.addRow(['Зуев', 'Пётр', '', 'АО «Бета»', 'Инженер', 79161110004, '', { text: 'zuev@beta.example', hyperlink: 'mailto:zuev@beta.example' }, null, '']);
ws.getColumn(9).numFmt = 'dd.mm.yyyy';
const notes = wb.addWorksheet('Справка');
notes.addRow(['Источник', 'Дата']);
notes.addRow(['Выставка «Снабжение-2026»', '2026-11-20']);
await wb.xlsx.writeFile(join(dir, 'contacts-exceljs.xlsx'));

// LibreOffice: a Thunderbird-style CSV converted to a workbook by Calc.
const tmp = mkdtempSync(join(tmpdir(), 'crm-xlsx-'));
const csv = join(tmp, 'contacts-libreoffice.csv');
writeFileSync(csv, readFileSync(join(dir, 'thunderbird.csv')));
execFileSync('soffice', ['--headless', '--infilter=CSV:44,34,76,1', '--convert-to', 'xlsx', '--outdir', tmp, csv], { stdio: 'inherit' });
renameSync(join(tmp, 'contacts-libreoffice.xlsx'), join(dir, 'contacts-libreoffice.xlsx'));
