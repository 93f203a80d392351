import { Client, Filter, InvalidCredentialsError, NoSuchObjectError, ResultCodeError, type Entry } from 'ldapts';
import type { FastifyBaseLogger } from 'fastify';
import type { LdapConfig } from '../../config.js';
import type { Role } from '../../db/schema/users.js';

/**
 * The organization's directory (OpenLDAP, Active Directory, any LDAPv3 server), used for sign-in
 * and the periodic re-check of directory accounts. Every operation opens its own connection,
 * bounded by LDAP_TIMEOUT_MS: sign-ins are rare, and a dead directory must never hold a request.
 */

/** The directory cannot be reached or refused the service account: "каталог недоступен". */
export class DirectoryUnavailableError extends Error {
  constructor(reason: string) {
    super(`directory unavailable: ${reason}`);
  }
}

export interface DirectoryUser {
  dn: string;
  login: string;
  name: string;
  email: string | null;
  role: Role;
}

/** A login put into a filter: RFC 4515 escaping of `*`, `(`, `)`, `\` and NUL. */
export function escapeFilterValue(value: string): string {
  return Filter.escape(value);
}

export function userFilterFor(template: string, login: string): string {
  const escaped = escapeFilterValue(login);
  return template.replaceAll('{login}', () => escaped);
}

/** DNs compare case-insensitively, with no spaces around separators. */
export function normalizeDn(dn: string): string {
  return dn.trim().toLowerCase().replace(/\s*([,=+])\s*/g, '$1');
}

function first(entry: Entry, attrs: string[]): string | null {
  for (const name of attrs) {
    const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
    const raw = key ? entry[key] : undefined;
    const v = Array.isArray(raw) ? raw[0] : raw;
    const s = v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    if (s.trim()) return s.trim();
  }
  return null;
}

function values(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key ? entry[key] : undefined;
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

/** What failed, for the log: never the password (ldapts errors carry the server's text only). */
function describe(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { name: err.name, message: err.message, code: (err as { code?: unknown }).code };
  return { message: String(err) };
}

export class Directory {
  constructor(
    private readonly cfg: LdapConfig,
    private readonly log: FastifyBaseLogger,
  ) {}

  private async connect(): Promise<Client> {
    const tlsOptions = () => (this.cfg.ca ? { ca: [this.cfg.ca] } : {});
    const client = new Client({
      url: this.cfg.url,
      timeout: this.cfg.timeoutMs,
      connectTimeout: this.cfg.timeoutMs,
      // ldapts opens TLS at once whenever tlsOptions are given, so ldap:// gets them at StartTLS only.
      ...(/^ldaps:/i.test(this.cfg.url) ? { tlsOptions: tlsOptions() } : {}),
    });
    if (this.cfg.startTls) await client.startTLS(tlsOptions());
    return client;
  }

  /** Runs `fn` on a fresh connection within the deadline; closes the connection whatever happens. */
  private async withClient<T>(what: string, fn: (client: Client) => Promise<T>): Promise<T> {
    let client: Client | null = null;
    let timer: NodeJS.Timeout | undefined;
    // Each LDAP operation has its own timeout; this bounds the whole exchange as well.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DirectoryUnavailableError(`${what} took longer than ${this.cfg.timeoutMs * 2} ms`)), this.cfg.timeoutMs * 2);
    });
    try {
      return await Promise.race([
        (async () => {
          client = await this.connect();
          return fn(client);
        })(),
        deadline,
      ]);
    } catch (err) {
      if (err instanceof DirectoryUnavailableError) {
        this.log.warn({ err: describe(err), url: this.cfg.url }, `LDAP ${what}: directory unavailable`);
        throw err;
      }
      if (err instanceof ResultCodeError) {
        this.log.error({ err: describe(err), url: this.cfg.url }, `LDAP ${what}: the directory refused the request`);
        throw new DirectoryUnavailableError(`${err.name}`);
      }
      this.log.warn({ err: describe(err), url: this.cfg.url }, `LDAP ${what}: directory unreachable`);
      throw new DirectoryUnavailableError(err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
      const c = client as Client | null;
      if (c) c.unbind().catch(() => undefined);
    }
  }

  private async serviceBind(client: Client) {
    await client.bind(this.cfg.bindDn, this.cfg.bindPassword);
  }

  /** The user's entry by login through the configured filter; null unless exactly one matches. */
  private async findByLogin(client: Client, login: string): Promise<Entry | null> {
    const { searchEntries } = await client.search(this.cfg.userBase, {
      scope: 'sub',
      filter: userFilterFor(this.cfg.userFilter, login),
      sizeLimit: 2,
      attributes: this.attributes(),
    }).catch((err: unknown) => {
      // More than one match is an ambiguous login, refused like an unknown one.
      if (err instanceof ResultCodeError && err.code === 4) return { searchEntries: [{ dn: '' }, { dn: '' }] as Entry[] };
      throw err;
    });
    if (searchEntries.length > 1) this.log.warn({ login }, 'LDAP: the login matches more than one entry; refused');
    return searchEntries.length === 1 ? searchEntries[0] : null;
  }

  private async findByDn(client: Client, dn: string): Promise<Entry | null> {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: this.attributes() });
      return searchEntries[0] ?? null;
    } catch (err) {
      if (err instanceof NoSuchObjectError) return null;
      throw err;
    }
  }

  private attributes(): string[] {
    return [...this.cfg.attrLogin, ...this.cfg.attrName, ...this.cfg.attrEmail, 'memberOf'];
  }

  private async isDisabled(client: Client, dn: string): Promise<boolean> {
    const { searchEntries } = await client.search(dn, { scope: 'base', filter: this.cfg.disabledFilter, attributes: ['1.1'] });
    return searchEntries.length > 0;
  }

  /** Membership from the entry's memberOf, else by asking the group (nested through AD's in-chain rule). */
  private async isMember(client: Client, entry: Entry, groupDn: string): Promise<boolean> {
    const target = normalizeDn(groupDn);
    if (values(entry, 'memberOf').some((g) => normalizeDn(g) === target)) return true;
    const dn = escapeFilterValue(entry.dn);
    const filter = this.cfg.nestedGroups
      ? `(member:1.2.840.113556.1.4.1941:=${dn})`
      : `(|(member=${dn})(uniqueMember=${dn}))`;
    try {
      const { searchEntries } = await client.search(groupDn, { scope: 'base', filter, attributes: ['1.1'] });
      return searchEntries.length > 0;
    } catch (err) {
      if (err instanceof NoSuchObjectError) {
        this.log.warn({ group: groupDn }, 'LDAP: the configured group does not exist');
        return false;
      }
      throw err;
    }
  }

  private async describeUser(client: Client, entry: Entry, typedLogin: string): Promise<DirectoryUser> {
    let role: Role = 'employee';
    if (this.cfg.groupAdmin && (await this.isMember(client, entry, this.cfg.groupAdmin))) role = 'admin';
    else if (this.cfg.groupSecretary && (await this.isMember(client, entry, this.cfg.groupSecretary))) role = 'secretary';
    const login = first(entry, this.cfg.attrLogin) ?? typedLogin;
    return {
      dn: entry.dn,
      login,
      name: first(entry, this.cfg.attrName) ?? login,
      email: first(entry, this.cfg.attrEmail),
      role,
    };
  }

  /**
   * Checks a login and password against the directory: null for an unknown, ambiguous or disabled
   * login or a wrong password; DirectoryUnavailableError when the directory cannot answer.
   * An empty password is refused here, before any connection: LDAP treats a simple bind with a
   * DN and no password as an anonymous bind, which "succeeds" (RFC 4513 §5.1.2).
   */
  async authenticate(login: string, password: string): Promise<DirectoryUser | null> {
    if (!login || !password) return null;
    const found = await this.withClient('sign-in', async (client) => {
      await this.serviceBind(client);
      const entry = await this.findByLogin(client, login);
      if (!entry) return null;
      if (await this.isDisabled(client, entry.dn)) {
        this.log.info({ dn: entry.dn }, 'LDAP: sign-in of a disabled account refused');
        return null;
      }
      return { entry, user: await this.describeUser(client, entry, login) };
    });
    if (!found) return null;
    // The password is checked by binding as the user on a connection of its own.
    const ok = await this.withClient('user bind', async (client) => {
      try {
        await client.bind(found.entry.dn, password);
        return true;
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return false;
        throw err;
      }
    });
    return ok ? found.user : null;
  }

  /** The re-check of a signed-in directory account by its DN: null when gone or disabled. */
  async recheck(dn: string, login: string): Promise<DirectoryUser | null> {
    return this.withClient('re-check', async (client) => {
      await this.serviceBind(client);
      const entry = await this.findByDn(client, dn);
      if (!entry || (await this.isDisabled(client, entry.dn))) return null;
      return this.describeUser(client, entry, login);
    });
  }
}
