import { describe, expect, it } from 'vitest';
import { checkMapping, detectProfile, guessMapping, headerSignature } from './profiles.js';

const targets = (h: string[]) => detectProfile(h)?.mapping.map((t) => t?.to ?? null);

describe('formats recognized by their header signature', () => {
  it('Outlook in English, Russian and German, with the language of the headers', () => {
    expect(detectProfile(['First Name', 'Last Name', 'Company', 'E-mail Address', 'E-mail Type'])).toMatchObject({ profile: 'outlook', language: 'en' });
    expect(detectProfile(['Фамилия', 'Имя', 'Организация', 'Адрес эл. почты'])).toMatchObject({ profile: 'outlook', language: 'ru' });
    const de = detectProfile(['Anrede', 'Vorname', 'Nachname', 'Firma', 'Telefon geschäftlich', 'Mobiltelefon', 'Fax geschäftlich', 'E-Mail-Adresse', 'E-Mail-Typ', 'Notizen']);
    expect(de).toMatchObject({ profile: 'outlook', language: 'de' });
    expect(de!.mapping.map((t) => t?.to ?? null)).toEqual([null, 'firstName', 'lastName', 'company', 'phone.work', 'phone.mobile', 'phone.fax', 'email', 'type', 'notes']);
    // The e-mail column reads its type from the type column (an Exchange "EX" address is skipped).
    expect(de!.mapping[7]).toEqual({ to: 'email', typeFrom: 8 });
  });

  it('Google Contacts, old and new export: typed groups read their type column', () => {
    const old = ['Name', 'Given Name', 'Family Name', 'E-mail 1 - Type', 'E-mail 1 - Value', 'Phone 1 - Type', 'Phone 1 - Value', 'Organization 1 - Name'];
    expect(detectProfile(old)?.profile).toBe('google');
    expect(detectProfile(old)!.mapping[6]).toEqual({ to: 'phone.typed', typeFrom: 5 });
    const current = ['First Name', 'Middle Name', 'Last Name', 'Organization Name', 'Organization Title', 'Labels', 'E-mail 1 - Label', 'E-mail 1 - Value', 'Phone 1 - Label', 'Phone 1 - Value', 'Address 1 - Label', 'Address 1 - Street', 'Address 1 - City'];
    expect(detectProfile(current)?.profile).toBe('google');
    expect(targets(current)).toEqual(['firstName', 'middleName', 'lastName', 'company', 'jobTitle', 'groups', 'type', 'email', 'type', 'phone.typed', 'type', 'a.street', 'a.city']);
  });

  it('Thunderbird, not Outlook, although "First Name" and "Last Name" are shared', () => {
    const tb = ['First Name', 'Last Name', 'Display Name', 'Nickname', 'Primary Email', 'Secondary Email', 'Work Phone', 'Mobile Number', 'Fax Number', 'Organization', 'Web Page 1', ''];
    expect(detectProfile(tb)?.profile).toBe('thunderbird');
    expect(targets(tb)).toEqual(['firstName', 'lastName', 'displayName', null, 'email', 'email', 'phone.work', 'phone.mobile', 'phone.fax', 'company', 'webPage', null]);
  });

  it('no format for a table where the known columns are half or fewer, or none names the contact', () => {
    expect(detectProfile(['Фамилия', 'Имя', 'Телефон', 'Email'])).toBeNull();
    expect(detectProfile(['Notes', 'Categories'])).toBeNull();
    expect(detectProfile(['id', 'amount', 'date'])).toBeNull();
  });
});

describe('the mapping step', () => {
  it('guesses common column names, each single-valued field once', () => {
    expect(guessMapping(['ФИО', 'Телефон', 'E-mail', 'Моб.', 'Город', 'Организация', 'Компания', 'Что-то']).map((t) => t?.to ?? null)).toEqual([
      'fullName', 'phone.work', 'email', 'phone.mobile', 'b.city', 'company', null, null,
    ]);
  });

  it('refuses a mapping that maps nothing, names nobody or puts two columns in one single-valued field', () => {
    expect(checkMapping([null, null])).toEqual({ error: 'maps_nothing' });
    expect(checkMapping([{ to: 'phone.work' }, { to: 'b.city' }])).toEqual({ error: 'no_identity' });
    expect(checkMapping([{ to: 'lastName' }, { to: 'lastName' }])).toEqual({ error: 'two_to_one', detail: 'lastName' });
    // Several phone, e-mail or street columns are fine.
    expect(checkMapping([{ to: 'lastName' }, { to: 'email' }, { to: 'email' }, { to: 'phone.work' }, { to: 'phone.work' }])).toBeNull();
  });

  it('remembers a header by its signature whatever the case and spacing', () => {
    expect(headerSignature([' Клиент ', 'ТЕЛЕФОН'])).toBe(headerSignature(['клиент', 'Телефон']));
    expect(headerSignature(['a', 'b'])).not.toBe(headerSignature(['b', 'a']));
  });
});
