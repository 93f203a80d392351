// A generated Outlook contacts export (Russian-localized headers, UTF-8 with BOM, commas, every
// field quoted, multi-line notes), for the import benchmark and the hand-run measurements.
import { FEMALE_NAMES, MALE_NAMES, MALE_SURNAMES, PATRONYMIC_BASES } from '../src/features/demo/data.js';

export const OUTLOOK_HEADER = ['Фамилия', 'Имя', 'Отчество', 'Организация', 'Должность', 'Улица (раб. адрес)', 'Город (раб. адрес)', 'Индекс (раб. адрес)', 'Страна или регион (раб. адрес)', 'Рабочий телефон', 'Телефон переносной', 'Адрес эл. почты', 'Категории', 'Заметки', 'Пол'];

export interface OutlookRow {
  surname: string;
  firstName: string;
  patronymic: string;
  company: string;
  email: string;
}

export interface OutlookCsvOptions {
  /** Names as a real directory has them (common surnames, Ё): namesakes of the directory's persons. */
  realisticNames?: boolean;
  /** Company of row i (default: one of 1,000 new companies). */
  company?: (i: number) => string;
  /** A tag in the e-mail addresses, so that two generated files do not share addresses. */
  tag?: string;
}

export function outlookRow(i: number, opts: OutlookCsvOptions = {}): OutlookRow {
  const company = opts.company?.(i) ?? `ООО «Компания ${i % 1000}»`;
  const email = `user${i}${opts.tag ? `.${opts.tag}` : ''}@example.ru`;
  if (!opts.realisticNames) return { surname: `Фамилия${i}`, firstName: 'Иван', patronymic: 'Петрович', company, email };
  const female = i % 2 === 0;
  const base = MALE_SURNAMES[(i * 31) % MALE_SURNAMES.length];
  const surname = female && /(ов|ев|ёв|ин|ын)$/.test(base) ? `${base}а` : base;
  const firstName = female ? FEMALE_NAMES[(i * 13) % FEMALE_NAMES.length] : MALE_NAMES[(i * 17) % MALE_NAMES.length];
  const patronymic = PATRONYMIC_BASES[(i * 11) % PATRONYMIC_BASES.length] + (female ? 'на' : 'ич');
  return { surname, firstName, patronymic, company, email };
}

export function outlookCsv(rows: number, opts: OutlookCsvOptions = {}): Buffer {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lines = [OUTLOOK_HEADER.map(q).join(',')];
  for (let i = 0; i < rows; i++) {
    const r = outlookRow(i, opts);
    lines.push(
      [
        r.surname, r.firstName, r.patronymic, r.company, 'Менеджер', `ул. Ленина, д. ${i % 100}`, 'Москва', '101000', 'Россия',
        `+7 495 ${String(1000000 + i).slice(1, 4)}-${String(i % 100).padStart(2, '0')}-00`, `+7 916 ${String(1000000 + i).slice(1, 4)}-00-00`,
        r.email, i % 3 ? 'Клиенты' : 'VIP;Клиенты', `Заметка ${i}\nвторая строка`, i % 2 ? 'Мужской' : 'Женский',
      ].map(q).join(','),
    );
  }
  return Buffer.from('\ufeff' + lines.join('\r\n') + '\r\n', 'utf8');
}
