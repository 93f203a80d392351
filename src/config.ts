import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Typed configuration, read only from the environment and validated at boot. */
export interface Config {
  host: string;
  port: number;
  /** Set → node-postgres pool; unset → embedded PGlite in dataDir. */
  databaseUrl: string | null;
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
}

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
  const dataDir = env.DATA_DIR || './data';
  return {
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl,
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
  };
}
