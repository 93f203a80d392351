import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { freshDatabase, rows } from '../helpers/db.js';
import type { Database } from '../../src/db/client.js';
import { organizationNameKey, webDomain } from '../../src/features/organizations/model.js';
import { emailKey, phoneKey, uniteEmails, unitePhones } from '../../src/features/persons/model.js';
import { scoreOf, uniteReasons } from '../../src/features/duplicates/model.js';

// The duplicate finder compares organizations in SQL (drizzle/0011_duplicates.sql); the model's JS
// twins explain a match on the page. Both must give the same keys.
let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ database, drop } = await freshDatabase());
});
afterAll(async () => drop?.());

const NAMES = [
  'ООО «Ромашка»', '«Ромашка»', 'Romashka LLC', 'ООО "Ромашка"', 'Общество с ограниченной ответственностью «Ромашка»', 'ПАО «Газпром нефть»',
  'АО Щука-Жёлудь', 'ЗАО «Ёлки-Палки»', 'ИП Петров П. П.', 'Школа № 5', 'Yandex Ltd.', 'Siemens AG', 'Müller GmbH', 'ООО', '', '  ООО  «Альфа»  (Москва) ',
  'Акционерное общество «Чайка»', 'Хлеб & Соль, Inc', 'Компания «Юг-Я»', 'Ромашка (ООО)', 'Рога и копыта, ООО', 'Acme Ltd.', 'ГБОУ «Школа № 5»',
  'Company', 'Ёжик Co.', 'Фгуп «Почта России»', 'Индивидуальный предприниматель Петров',
];
const SITES = ['https://www.Romashka.ru/about', 'romashka.ru', 'http://romashka.ru:8080/x?y', 'WWW.ROMASHKA.RU.', '', 'ftp://files.example.com/a#b'];

describe('matching keys', () => {
  it('organization name keys and web domains: the same in SQL and in JS', async () => {
    for (const name of NAMES) {
      const [r] = rows<{ k: string }>(await database.db.execute(sql`select crm_org_name_key(${name}) as k`));
      expect(r.k, name).toBe(organizationNameKey(name));
    }
    for (const site of SITES) {
      const [r] = rows<{ d: string | null }>(await database.db.execute(sql`select crm_web_domain(${site}) as d`));
      expect(r.d ?? '', site).toBe(webDomain(site));
    }
    expect(organizationNameKey('ООО «Ромашка»')).toBe('romashka');
    expect(organizationNameKey('Romashka LLC')).toBe('romashka');
    expect(organizationNameKey('Общество с ограниченной ответственностью «Ромашка»')).toBe('romashka');
    expect(organizationNameKey('Школа № 5')).toBe('shkola 5');
    expect(organizationNameKey('Ромашка (ООО)')).toBe('romashka');
    expect(organizationNameKey('ООО')).toBe('');
    expect(webDomain('https://www.Romashka.ru/about')).toBe('romashka.ru');
  });

  it('persons: e-mails by lower case, phones by E.164, lists united without repeats', () => {
    expect(emailKey(' Ivanov@Mail.RU ')).toBe('ivanov@mail.ru');
    expect(phoneKey('8 (495) 123-45-67')).toBe('+74951234567');
    expect(phoneKey('+7 495 1234567')).toBe('+74951234567');
    expect(phoneKey('не телефон')).toBeNull();
    expect(uniteEmails([['A@x.ru', 'b@x.ru'], ['a@X.ru', 'c@x.ru']])).toEqual(['A@x.ru', 'b@x.ru', 'c@x.ru']);
    expect(unitePhones([[{ number: '+7 495 123-45-67' }], [{ number: '8 495 1234567' }, { number: '+7 916 000-00-01' }]]).map((p) => p.number)).toEqual(['+7 495 123-45-67', '+7 916 000-00-01']);
    expect(scoreOf('person', ['email'])).toBe(90);
    expect(scoreOf('person', ['email', 'name', 'phone'])).toBe(100);
    expect(scoreOf('organization', ['similarName', 'email'])).toBe(85);
    expect(uniteReasons('Партнёр', 'Партнёр')).toBe('Партнёр');
    expect(uniteReasons('', 'Договор')).toBe('Договор');
  });
});
