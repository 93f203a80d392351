import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, DEFAULT_LDAP_USER_FILTER } from '../../src/config.js';
import { escapeFilterValue, normalizeDn, userFilterFor } from '../../src/features/auth/ldap.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-ldap-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  LDAP_URL: 'ldaps://dc1.corp.example:636',
  LDAP_BIND_DN: 'CN=svc-crm,OU=Service,DC=corp,DC=example',
  LDAP_BIND_PASSWORD: 'Секрет-службы-1',
  LDAP_USER_BASE: 'OU=Staff,DC=corp,DC=example',
};

describe('LDAP configuration', () => {
  it('is off without LDAP_URL', () => {
    expect(loadConfig({}).ldap).toBeNull();
  });

  it('reads the variables with their defaults', () => {
    const { ldap } = loadConfig({ ...base, LDAP_GROUP_ADMIN: 'CN=CRM Admins,OU=Groups,DC=corp,DC=example', LDAP_NESTED_GROUPS: 'true' });
    expect(ldap).toMatchObject({
      url: 'ldaps://dc1.corp.example:636',
      startTls: false,
      userFilter: DEFAULT_LDAP_USER_FILTER,
      groupAdmin: 'CN=CRM Admins,OU=Groups,DC=corp,DC=example',
      groupSecretary: null,
      nestedGroups: true,
      attrName: ['displayName', 'cn'],
      attrEmail: ['mail'],
      timeoutMs: 5000,
      recheckMinutes: 15,
    });
  });

  it('takes the bind password from LDAP_BIND_PASSWORD_FILE', () => {
    const file = path.join(dir, 'bind-password');
    writeFileSync(file, 'из-файла-2\n');
    const { LDAP_BIND_PASSWORD: _, ...rest } = base;
    expect(loadConfig({ ...rest, LDAP_BIND_PASSWORD_FILE: file }).ldap!.bindPassword).toBe('из-файла-2');
  });

  it('refuses what would be unsafe or broken, saying which variable, never the password', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ ...base, LDAP_URL: 'ldap://dc1.corp.example' }, /LDAP_STARTTLS/],
      [{ ...base, LDAP_URL: 'ldaps://dc1.corp.example', LDAP_STARTTLS: 'true' }, /ldaps:\/\/ is encrypted already/],
      [{ ...base, LDAP_URL: 'http://dc1.corp.example' }, /LDAP_URL must be/],
      [{ ...base, LDAP_BIND_PASSWORD: '' }, /LDAP_BIND_PASSWORD is required/],
      [{ ...base, LDAP_USER_BASE: '' }, /LDAP_USER_BASE is required/],
      [{ ...base, LDAP_USER_FILTER: '(uid=x)' }, /must contain \{login\}/],
      [{ ...base, LDAP_USER_FILTER: '(uid={login}' }, /not a valid LDAP filter/],
      [{ ...base, LDAP_DISABLED_FILTER: 'disabled' }, /LDAP_DISABLED_FILTER is not a valid/],
      [{ ...base, LDAP_TIMEOUT_MS: '0' }, /LDAP_TIMEOUT_MS/],
      [{ ...base, LDAP_CA_FILE: path.join(dir, 'missing.pem') }, /LDAP_CA_FILE cannot be read/],
      [{ ...base, LDAP_ATTR_NAME: 'display name' }, /LDAP_ATTR_NAME/],
    ];
    for (const [env, message] of bad) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(base.LDAP_BIND_PASSWORD);
    }
    // Clear text only when asked for by name.
    expect(loadConfig({ ...base, LDAP_URL: 'ldap://127.0.0.1:3890', LDAP_ALLOW_PLAINTEXT: 'true' }).ldap!.startTls).toBe(false);
  });
});

describe('filter escaping (RFC 4515)', () => {
  it('escapes the five special characters and keeps the rest, Cyrillic included', () => {
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a');
    expect(escapeFilterValue('a\\b\u0000')).toBe('a\\5cb\\00');
    expect(escapeFilterValue('Ёлкина.А')).toBe('Ёлкина.А');
    expect(userFilterFor('(&(objectClass=user)(sAMAccountName={login}))', 'x*')).toBe('(&(objectClass=user)(sAMAccountName=x\\2a))');
    // A "$&" in a login is not a replacement pattern.
    expect(userFilterFor('(uid={login})', '$&')).toBe('(uid=$&)');
  });

  it('compares DNs regardless of case and spaces', () => {
    expect(normalizeDn('CN=CRM Admins, OU=Groups,DC=corp, DC=example')).toBe(normalizeDn('cn=crm admins,ou=groups,dc=corp,dc=example'));
  });
});
