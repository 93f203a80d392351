import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dictionaries, translator } from '../../src/i18n/index.js';
import { AUDITED_FIELDS } from '../../src/features/audit/service.js';
import { registerFeatures } from '../../src/features/index.js';

// The features' own dictionaries join the core one at startup; this test starts no app.
registerFeatures();

const ROOT = path.resolve(import.meta.dirname, '../..');

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p, ext);
    return ext.test(name) && !name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('dictionaries', () => {
  it('have the same keys in Russian and English', () => {
    const ru = Object.keys(dictionaries.ru).sort();
    const en = Object.keys(dictionaries.en).sort();
    expect(ru.filter((k) => !en.includes(k))).toEqual([]);
    expect(en.filter((k) => !ru.includes(k))).toEqual([]);
  });

  it('give every Russian plural its one, few and many forms', () => {
    for (const [key, msg] of Object.entries(dictionaries.ru)) {
      if (typeof msg === 'string') continue;
      expect(Object.keys(msg).sort(), key).toEqual(expect.arrayContaining(['few', 'many', 'one', 'other']));
      expect(typeof dictionaries.en[key], key).toBe('object');
    }
  });

  it('contain every literal key used in templates and source', () => {
    const used = new Set<string>();
    const sources = [...files(path.join(ROOT, 'views'), /\.eta$/), ...files(path.join(ROOT, 'src'), /\.ts$/)];
    for (const f of sources) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z][\w.]*)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/(?:Key|key):\s*'([a-z][\w]*\.[\w.]+)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/Error\('([a-z][\w]*\.[\w.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(20);
    const missing = [...used].filter((k) => !k.endsWith('.')).filter((k) => !(k in dictionaries.ru) || !(k in dictionaries.en));
    expect(missing).toEqual([]);
  });
});

describe('history labels', () => {
  it('name every field an audit entry may record, in both languages', () => {
    // The history tab shows `fields.<name>`; recordAudit accepts only AUDITED_FIELDS (typed).
    for (const f of AUDITED_FIELDS) {
      for (const locale of ['ru', 'en'] as const) {
        const label = translator(locale)(`fields.${f}`);
        expect(label, `${locale} fields.${f}`).not.toBe(`fields.${f}`);
        expect(label.length, `${locale} fields.${f}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('translator', () => {
  it('chooses Russian plural forms by number', () => {
    const t = translator('ru');
    expect(t('validation.passwordTooShort', { count: 1 })).toContain('1 символа');
    expect(t('validation.passwordTooShort', { count: 3 })).toContain('3 символов');
    expect(t('validation.passwordTooShort', { count: 8 })).toContain('8 символов');
    expect(t('validation.passwordTooShort', { count: 21 })).toContain('21 символа');
    expect(t('validation.tooLong', { count: 200 })).toBe('Не длиннее 200 символов.');
  });

  it('chooses English plural forms and interpolates', () => {
    const t = translator('en');
    expect(t('validation.tooLong', { count: 1 })).toBe('At most 1 character.');
    expect(t('validation.tooLong', { count: 2 })).toBe('At most 2 characters.');
    expect(t('users.created', { login: 'ivanov' })).toBe('User ivanov created.');
  });

  it('shows the key of a missing message instead of failing', () => {
    expect(translator('ru')('no.such.key')).toBe('no.such.key');
  });
});
