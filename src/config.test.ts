import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'crm-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('secrets from files (Docker secrets)', () => {
  it('reads SESSION_SECRET_FILE and ADMIN_PASSWORD_FILE, without the trailing newline', () => {
    const config = loadConfig({
      SESSION_SECRET_FILE: secretFile('session', 'x'.repeat(40) + '\n'),
      ADMIN_PASSWORD_FILE: secretFile('admin', 'Пароль админа 1\n'),
    });
    expect(config.sessionSecret).toBe('x'.repeat(40));
    expect(config.adminPassword).toBe('Пароль админа 1');
  });

  it('puts DATABASE_PASSWORD_FILE into DATABASE_URL, URL-encoded, so any character survives', () => {
    const password = 'p@ss/w:rd+=%?#ё';
    const config = loadConfig({ DATABASE_URL: 'postgres://crm@db:5432/crm', DATABASE_PASSWORD_FILE: secretFile('db', password + '\n') });
    // node-postgres reads it back exactly.
    const client = new pg.Client({ connectionString: config.databaseUrl! });
    expect((client as unknown as { password: string }).password).toBe(password);
    expect(client.user).toBe('crm');
    expect(client.host).toBe('db');
    expect(client.database).toBe('crm');
  });

  it('stops the boot with a clear message when a secret file is missing or is a directory', () => {
    expect(() => loadConfig({ SESSION_SECRET_FILE: path.join(dir, 'missing') })).toThrow(/SESSION_SECRET_FILE: cannot read .*missing \(ENOENT\)/);
    expect(() => loadConfig({ ADMIN_PASSWORD_FILE: dir })).toThrow(/ADMIN_PASSWORD_FILE: cannot read .*\(EISDIR\)/);
  });

  it('refuses DATABASE_PASSWORD without DATABASE_URL', () => {
    expect(() => loadConfig({ DATABASE_PASSWORD: 'secret' })).toThrow(ConfigError);
  });
});
