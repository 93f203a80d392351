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

describe('read replica (DATABASE_REPLICA_URL)', () => {
  it('is off unless set; needs DATABASE_URL and a postgres:// URL; the lag limit is bounded', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://crm@db/crm' })).toMatchObject({ databaseReplicaUrl: null, replicaMaxLagSeconds: 10 });
    expect(() => loadConfig({ DATABASE_REPLICA_URL: 'postgres://crm@replica/crm' })).toThrow(/DATABASE_REPLICA_URL needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://crm@db/crm', DATABASE_REPLICA_URL: 'mysql://crm@replica/crm' })).toThrow(/DATABASE_REPLICA_URL must start with postgres/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://crm@db/crm', DATABASE_REPLICA_MAX_LAG_SECONDS: '0' })).toThrow(/DATABASE_REPLICA_MAX_LAG_SECONDS must be between 1 and 3600/);
    expect(loadConfig({ DATABASE_URL: 'postgres://crm@db/crm', DATABASE_REPLICA_URL: 'postgres://crm@replica/crm', DATABASE_REPLICA_MAX_LAG_SECONDS: '30' })).toMatchObject({
      databaseReplicaUrl: 'postgres://crm@replica/crm',
      replicaMaxLagSeconds: 30,
    });
  });

  it('takes DATABASE_PASSWORD (the primary and its replica share their roles) unless the URL has its own', () => {
    const password = 'p@ss/w:rd';
    const shared = loadConfig({ DATABASE_URL: 'postgres://crm@db/crm', DATABASE_REPLICA_URL: 'postgres://crm@replica/crm', DATABASE_PASSWORD: password });
    expect((new pg.Client({ connectionString: shared.databaseReplicaUrl! }) as unknown as { password: string }).password).toBe(password);
    const own = loadConfig({ DATABASE_URL: 'postgres://crm@db/crm', DATABASE_REPLICA_URL: 'postgres://reader:other@replica/crm', DATABASE_PASSWORD: password });
    expect((new pg.Client({ connectionString: own.databaseReplicaUrl! }) as unknown as { password: string }).password).toBe('other');
    const fromFile = loadConfig({ DATABASE_URL: 'postgres://crm@db/crm', DATABASE_REPLICA_URL_FILE: secretFile('replica-url', 'postgres://crm@replica:5433/crm\n') });
    expect(fromFile.databaseReplicaUrl).toBe('postgres://crm@replica:5433/crm');
  });
});
