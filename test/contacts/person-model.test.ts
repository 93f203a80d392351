import { describe, expect, it } from 'vitest';
import { INFLUENCE, MAX_EMAILS, mergePerson, parseInfluence, type PersonWrite } from '../../src/features/persons/model.js';

/** The person's rules, pure: one for the form, the XML import and the import's "update". */
describe('persons/model', () => {
  it('influence: empty is 0; a signed integer within −5…+5; anything else is not one', () => {
    expect(parseInfluence('')).toBe(0);
    expect(parseInfluence(' 3 ')).toBe(3);
    expect(parseInfluence('+5')).toBe(5);
    expect(parseInfluence('-5')).toBe(-5);
    expect(parseInfluence('−2')).toBe(-2);
    for (const bad of ['a5', '5a', '6', '-6', '1.5', '--1', 'abc', '99999999999']) expect(parseInfluence(bad), bad).toBeNull();
    expect(INFLUENCE).toEqual({ min: -5, max: 5 });
  });

  it('merge: e-mails add up to MAX_EMAILS, never dropping the card\'s own', () => {
    const card: PersonWrite = {
      values: { surname: 'Мержев', firstName: '', patronymic: '', influence: 0, organizationId: null, jobTitle: '', gender: 'unspecified', dativeOverride: '', note: 'старая', addrIndex: '', addrCountry: '', addrRegion: '', addrDistrict: '', addrLocality: '', addrStreet: '', addrHouse: '', addrBuilding: '', addrOffice: '', archivedAt: null },
      phones: [],
      emails: ['a@x.ru'],
    };
    const many = Array.from({ length: 15 }, (_, i) => `m${i}@x.ru`);
    const incoming = { surname: 'Мержев', firstName: 'Марк', patronymic: '', influence: 2, jobTitle: '', gender: 'unspecified' as const, dativeOverride: '', note: 'новая', phones: [], emails: ['A@x.ru', ...many] };
    const at = new Date(2026, 0, 2);
    const out = mergePerson(card, incoming, { organizationId: null, address: null, replaceNote: false, at });
    expect(out.emails).toHaveLength(MAX_EMAILS);
    expect(out.emails[0]).toBe('a@x.ru');
    expect(out.values).toMatchObject({ firstName: 'Марк', influence: 2, note: 'старая\n\n— 02.01.2026 —\nновая' });
    expect(mergePerson(card, incoming, { organizationId: null, address: null, replaceNote: true, at }).values.note).toBe('новая');
  });
});
