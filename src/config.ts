import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FilterParser } from 'ldapts';

/** Typed configuration, read only from the environment and validated at boot. */
export interface Config {
  host: string;
  port: number;
  /** Set → node-postgres pool; unset → embedded PGlite in dataDir. */
  databaseUrl: string | null;
  /**
   * A streaming replica of databaseUrl (hot standby): read-only pages read from it, everything
   * else goes to the primary. Only with databaseUrl.
   */
  databaseReplicaUrl: string | null;
  /** A replica further behind the primary than this is not read from (the primary serves). */
  replicaMaxLagSeconds: number;
  /** Where PGlite keeps its files; ':memory:' keeps the database in memory (tests). */
  dataDir: string;
  /** null → generated once and kept in the database, so every instance shares it. */
  sessionSecret: string | null;
  cookieSecure: boolean;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  adminLogin: string;
  adminPassword: string | null;
  logLevel: string;
  bodyLimitBytes: number;
  loginRateLimitPerMinute: number;
  trustProxy: boolean;
  browserPath: string | null;
  demoPassword: string;
  /** Largest contacts file accepted by /import; larger uploads are refused before they are read. */
  importMaxBytes: number;
  /** Most contacts (rows, cards, records) one import may hold. */
  importMaxRows: number;
  /** Sign-in through the organization's LDAP directory; null when LDAP_URL is unset. */
  ldap: LdapConfig | null;
  /** Jobs this instance runs at once, per kind of job; 0 = a web-only instance that runs none. */
  workers: number;
  /** Kinds of job this instance runs (null: all); a dedicated PDF instance names the PDF kinds. */
  jobKinds: string[] | null;
  /** How long a finished job's result (file, report) is kept. */
  jobResultHours: number;
  /** Envelope and label PDFs for more recipients than this are made as a job. */
  jobPdfThreshold: number;
  /** Mailings with more recipients are created and registered as jobs with progress. */
  mailingJobThreshold: number;
  /** Graceful shutdown: how long running requests and jobs get before the process exits. */
  shutdownSeconds: number;
}

/** The directory (LDAP / Active Directory) behind sign-in, from the LDAP_* variables. */
export interface LdapConfig {
  url: string;
  /** ldap:// upgraded with StartTLS before any bind. */
  startTls: boolean;
  /** PEM of the CA that signed the directory's certificate (LDAP_CA_FILE); null → the system CAs. */
  ca: string | null;
  bindDn: string;
  /** Never logged: pino redacts config paths, and errors never carry it. */
  bindPassword: string;
  userBase: string;
  /** RFC 4515 filter with `{login}`, replaced by the escaped login. */
  userFilter: string;
  /** Entries matching this (tested on the user's entry alone) are disabled. */
  disabledFilter: string;
  groupAdmin: string | null;
  groupSecretary: string | null;
  /** AD's LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941): membership through nested groups. */
  nestedGroups: boolean;
  /** Attributes tried in order. */
  attrLogin: string[];
  attrName: string[];
  attrEmail: string[];
  timeoutMs: number;
  recheckMinutes: number;
}

export const DEFAULT_LDAP_USER_FILTER = '(|(uid={login})(sAMAccountName={login})(userPrincipalName={login}))';
// AD: userAccountControl bit 2 (ACCOUNTDISABLE); OpenLDAP with ppolicy: a locked account. An
// attribute the server does not know makes its part of the filter undefined, i.e. no match.
export const DEFAULT_LDAP_DISABLED_FILTER = '(|(userAccountControl:1.2.840.113556.1.4.803:=2)(pwdAccountLockedTime=*))';

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Reads NAME, or the contents of the file named by NAME_FILE (Docker/Kubernetes secrets). */
function secret(env: Env, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      // A missing or unreadable secret stops the boot with its name, never a default.
      throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  const v = env[name];
  return v === '' ? undefined : v;
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function filter(env: Env, name: string, def: string): string {
  const raw = env[name] || def;
  try {
    FilterParser.parseString(raw.replaceAll('{login}', 'x'));
  } catch {
    throw new ConfigError(`${name} is not a valid LDAP filter (RFC 4515): "${raw}"`);
  }
  return raw;
}

function list(env: Env, name: string, def: string): string[] {
  const items = (env[name] || def).split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length || items.some((a) => !/^[A-Za-z][A-Za-z0-9-]*$/.test(a))) {
    throw new ConfigError(`${name} must be a comma-separated list of attribute names`);
  }
  return items;
}

function loadLdap(env: Env): LdapConfig | null {
  const url = env.LDAP_URL;
  if (!url) return null;
  if (!/^ldaps?:\/\/[^/\s]+\/?$/i.test(url)) throw new ConfigError(`LDAP_URL must be ldap://host[:port] or ldaps://host[:port], got "${url}"`);
  const startTls = bool(env, 'LDAP_STARTTLS', false);
  const secure = /^ldaps:/i.test(url);
  if (secure && startTls) throw new ConfigError('LDAP_STARTTLS applies to ldap:// only; ldaps:// is encrypted already');
  // Directory passwords cross this connection: clear text only when explicitly allowed.
  if (!secure && !startTls && !bool(env, 'LDAP_ALLOW_PLAINTEXT', false)) {
    throw new ConfigError('LDAP_URL is ldap:// without LDAP_STARTTLS=true: passwords would cross the network in clear (set LDAP_ALLOW_PLAINTEXT=true to accept that)');
  }
  let ca: string | null = null;
  if (env.LDAP_CA_FILE) {
    try {
      ca = readFileSync(env.LDAP_CA_FILE, 'utf8');
    } catch {
      throw new ConfigError(`LDAP_CA_FILE cannot be read: ${env.LDAP_CA_FILE}`);
    }
    if (!ca.includes('BEGIN CERTIFICATE')) throw new ConfigError(`LDAP_CA_FILE holds no PEM certificate: ${env.LDAP_CA_FILE}`);
  }
  const required = (name: string) => {
    const v = name === 'LDAP_BIND_PASSWORD' ? secret(env, name) : env[name];
    if (!v) throw new ConfigError(`${name} is required when LDAP_URL is set`);
    return v;
  };
  const userFilter = filter(env, 'LDAP_USER_FILTER', DEFAULT_LDAP_USER_FILTER);
  if (!userFilter.includes('{login}')) throw new ConfigError('LDAP_USER_FILTER must contain {login}');
  return {
    url,
    startTls,
    ca,
    bindDn: required('LDAP_BIND_DN'),
    bindPassword: required('LDAP_BIND_PASSWORD'),
    userBase: required('LDAP_USER_BASE'),
    userFilter,
    disabledFilter: filter(env, 'LDAP_DISABLED_FILTER', DEFAULT_LDAP_DISABLED_FILTER),
    groupAdmin: env.LDAP_GROUP_ADMIN || null,
    groupSecretary: env.LDAP_GROUP_SECRETARY || null,
    nestedGroups: bool(env, 'LDAP_NESTED_GROUPS', false),
    attrLogin: list(env, 'LDAP_ATTR_LOGIN', 'sAMAccountName,uid'),
    attrName: list(env, 'LDAP_ATTR_NAME', 'displayName,cn'),
    attrEmail: list(env, 'LDAP_ATTR_EMAIL', 'mail'),
    timeoutMs: int(env, 'LDAP_TIMEOUT_MS', 5000, 100, 60_000),
    recheckMinutes: int(env, 'LDAP_RECHECK_MINUTES', 15, 0, 24 * 60),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const sessionSecret = secret(env, 'SESSION_SECRET') ?? null;
  if (sessionSecret !== null && sessionSecret.length < 32) {
    throw new ConfigError('SESSION_SECRET must be at least 32 characters');
  }
  let databaseUrl = secret(env, 'DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  // The password apart from the URL (compose.yaml: one secret file serves PostgreSQL's
  // POSTGRES_PASSWORD_FILE and the app), URL-encoded here so any character works.
  const databasePassword = secret(env, 'DATABASE_PASSWORD');
  if (databasePassword !== undefined) {
    if (databaseUrl === null) throw new ConfigError('DATABASE_PASSWORD needs DATABASE_URL');
    const url = new URL(databaseUrl);
    url.password = encodeURIComponent(databasePassword);
    databaseUrl = url.toString();
  }
  let databaseReplicaUrl = secret(env, 'DATABASE_REPLICA_URL') ?? null;
  if (databaseReplicaUrl !== null) {
    if (databaseUrl === null) throw new ConfigError('DATABASE_REPLICA_URL needs DATABASE_URL (the embedded database has no replicas)');
    if (!/^postgres(ql)?:\/\//.test(databaseReplicaUrl)) throw new ConfigError('DATABASE_REPLICA_URL must start with postgres:// or postgresql://');
    // A replica has the primary's roles and passwords: DATABASE_PASSWORD serves both.
    const url = new URL(databaseReplicaUrl);
    if (databasePassword !== undefined && !url.password) {
      url.password = encodeURIComponent(databasePassword);
      databaseReplicaUrl = url.toString();
    }
  }
  const dataDir = env.DATA_DIR || './data';
  return {
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl,
    databaseReplicaUrl,
    replicaMaxLagSeconds: int(env, 'DATABASE_REPLICA_MAX_LAG_SECONDS', 10, 1, 3600),
    dataDir: dataDir === ':memory:' ? dataDir : path.resolve(dataDir),
    sessionSecret,
    cookieSecure: bool(env, 'COOKIE_SECURE', false),
    sessionIdleMinutes: int(env, 'SESSION_IDLE_MINUTES', 120, 1, 60 * 24 * 30),
    sessionAbsoluteHours: int(env, 'SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 365),
    adminLogin: env.ADMIN_LOGIN || 'admin',
    adminPassword: secret(env, 'ADMIN_PASSWORD') ?? null,
    logLevel: env.LOG_LEVEL || 'info',
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    loginRateLimitPerMinute: int(env, 'LOGIN_RATE_LIMIT', 10, 1, 100000),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    browserPath: env.PUPPETEER_EXECUTABLE_PATH || null,
    demoPassword: secret(env, 'DEMO_PASSWORD') ?? 'demo',
    importMaxBytes: int(env, 'IMPORT_MAX_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    importMaxRows: int(env, 'IMPORT_MAX_ROWS', 50_000, 1, 1_000_000),
    ldap: loadLdap(env),
    workers: int(env, 'WORKERS', 1, 0, 64),
    jobKinds: env.JOB_KINDS ? env.JOB_KINDS.split(',').map((k) => k.trim()).filter(Boolean) : null,
    jobResultHours: int(env, 'JOB_RESULT_HOURS', 24, 1, 24 * 365),
    jobPdfThreshold: int(env, 'JOB_PDF_THRESHOLD', 200, 0, 1_000_000),
    mailingJobThreshold: int(env, 'MAILING_JOB_THRESHOLD', 1000, 0, 1_000_000),
    shutdownSeconds: int(env, 'SHUTDOWN_TIMEOUT_SECONDS', 15, 1, 3600),
  };
}
