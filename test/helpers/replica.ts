import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A real streaming replica for the tests: a hot standby of the PostgreSQL server that
 * DATABASE_URL names, made with pg_basebackup in a temporary directory and started with pg_ctl
 * on a free port of 5440–5449, as the `postgres` system user (the server refuses to run as root).
 * `stop()` shuts it down (the "replica away" case); `remove()` stops it and deletes its files; both
 * also run when the process exits, so a failed run leaves no cluster behind.
 *
 * The base backup copies the whole primary cluster, whatever other databases it holds (about 10 s a
 * GB on the busy 2-core machine; 1.6 GB took 18 s), so keep the test's own database small.
 * The primary must accept replication connections: wal_level replica or logical and
 * max_wal_senders > 0 (both need a server restart, which a test must not do to a shared server:
 * `replicaUnavailable` says so), and a pg_hba.conf rule for the `replication` pseudo-database,
 * which is added here when missing (same method as the primary's 127.0.0.1 rule), then reloaded.
 */
export interface Replica {
  /** The standby's URL for one database (the same name as on the primary). */
  urlFor(database: string): string;
  port: number;
  dir: string;
  /** A superuser connection to the standby (pause and resume replay). */
  query<T = Record<string, unknown>>(text: string): Promise<T[]>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  catchUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  remove(): Promise<void>;
  /** How long pg_basebackup took (the whole primary cluster is copied). */
  backupMs: number;
}

const PORTS = [5440, 5441, 5442, 5443, 5444, 5445, 5446, 5447, 5448, 5449];
const BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? execFileSync('ls', [root]).toString().split(/\s+/).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.length ? path.join(root, versions[0], 'bin') : null;
})();

/** Why this machine cannot run the replica tests (null: it can), decided without the server. */
export function replicaUnavailable(): string | null {
  if (!process.env.DATABASE_URL) return 'needs DATABASE_URL (a real PostgreSQL primary to stream from), as in the PostgreSQL half of CI';
  if (!BIN) return 'needs the PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin)';
  if (process.getuid?.() !== 0) return 'needs root, to run the standby as the postgres system user (CI runs as root)';
  return null;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Checks (and where it can, sets up) that the primary serves replication connections. */
async function preparePrimary(base: string): Promise<Record<string, string>> {
  return withClient(base, async (c) => {
    const setting = async (name: string) => (await c.query<{ v: string }>(`select current_setting($1) as v`, [name])).rows[0].v;
    const walLevel = await setting('wal_level');
    const senders = Number(await setting('max_wal_senders'));
    if (walLevel === 'minimal' || senders < 1) {
      throw new Error(
        `the primary cannot stream to a replica (wal_level=${walLevel}, max_wal_senders=${senders}): set wal_level=replica and max_wal_senders>=1 and restart it (not done here: a restart would break every test running against it)`,
      );
    }
    const rules = (await c.query<{ database: string[]; type: string; address: string | null; auth_method: string; error: string | null }>(
      'select database, type, address, auth_method, error from pg_hba_file_rules',
    )).rows;
    const allowsReplication = rules.some((r) => !r.error && r.type === 'host' && r.database.includes('replication') && (r.address === '127.0.0.1' || r.address === 'all' || r.address === '0.0.0.0'));
    if (!allowsReplication) {
      const method = rules.find((r) => r.type === 'host' && r.address === '127.0.0.1' && r.database.includes('all'))?.auth_method ?? 'trust';
      const hba = await setting('hba_file');
      const line = `host replication all 127.0.0.1/32 ${method}`;
      // Idempotent: a second run finds the rule (in the file or, once reloaded, in the view).
      if (!readFileSync(hba, 'utf8').split('\n').some((l) => l.trim() === line)) {
        appendFileSync(hba, `\n# Added by the CRM's replica test (test/helpers/replica.ts): pg_basebackup and streaming from localhost.\n${line}\n`);
      }
      await c.query('select pg_reload_conf()');
      // The postmaster reloads asynchronously.
      for (let i = 0; i < 50; i++) {
        const n = (await c.query<{ n: number }>(`select count(*)::int as n from pg_hba_file_rules where 'replication' = any(database)`)).rows[0].n;
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The base backup copies the whole cluster (every database on the server, ~10 s a GB here):
    // refuse early, and clearly, when the temporary directory cannot hold it.
    const size = Number((await c.query<{ n: string }>('select sum(pg_database_size(datname))::text as n from pg_database')).rows[0].n);
    const fs = statfsSync(os.tmpdir());
    const free = fs.bavail * fs.bsize;
    if (size * 1.2 > free) throw new Error(`the base backup needs about ${Math.ceil(size / 2 ** 20)} MB (the whole cluster); ${os.tmpdir()} has ${Math.floor(free / 2 ** 20)} MB free`);
    // A hot standby needs these at least as high as on the primary, or it refuses to start.
    const names = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];
    const out: Record<string, string> = {};
    for (const n of names) out[n] = await setting(n);
    return out;
  });
}

export async function startReplica(): Promise<Replica> {
  const why = replicaUnavailable();
  if (why) throw new Error(`replica tests: ${why}`);
  const base = process.env.DATABASE_URL!;
  const primary = new URL(base);
  const must = await preparePrimary(base);

  let port = 0;
  for (const p of PORTS) if (await portFree(p)) { port = p; break; }
  if (!port) throw new Error(`no free port for the standby among ${PORTS[0]}–${PORTS[PORTS.length - 1]}`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-replica-'));
  const data = path.join(dir, 'data');
  const pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const pgGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, pgUid, pgGid);
  chmodSync(dir, 0o700);
  const asPostgres = (bin: string, args: string[], env: Record<string, string> = {}) =>
    execFileSync('runuser', ['-u', 'postgres', '--', path.join(BIN!, bin), ...args], { stdio: 'pipe', env: { ...process.env, ...env }, cwd: dir });

  let running = false;
  let removed = false;
  const stopSync = () => {
    if (!running) return;
    running = false;
    try {
      asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    } catch {
      // Already gone.
    }
  };
  const removeSync = () => {
    stopSync();
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeSync);

  try {
    const started = Date.now();
    // -c fast: an immediate checkpoint instead of waiting for a spread one; no fsync and no
    // manifest: a throwaway copy.
    asPostgres(
      'pg_basebackup',
      ['-h', primary.hostname, '-p', primary.port || '5432', '-U', decodeURIComponent(primary.username || 'postgres'), '-D', data, '-R', '-X', 'stream', '-c', 'fast', '--no-sync', '--no-manifest'],
      primary.password ? { PGPASSWORD: decodeURIComponent(primary.password) } : {},
    );
    const backupMs = Date.now() - started;
    // Debian keeps the configuration outside the data directory: the standby gets its own.
    writeFileSync(
      path.join(data, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${dir}'`,
        'hot_standby = on',
        'shared_buffers = 32MB',
        'fsync = off',
        'logging_collector = off',
        ...Object.entries(must).map(([k, v]) => `${k} = ${v}`),
      ].join('\n') + '\n',
    );
    writeFileSync(path.join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    writeFileSync(path.join(data, 'pg_ident.conf'), '');
    for (const f of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf']) chownSync(path.join(data, f), pgUid, pgGid);
    running = true;
    // -w: returns once the standby accepts connections (a consistent state is reached).
    asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '120', 'start']);

    const urlFor = (database: string) => {
      const u = new URL(base);
      u.port = String(port);
      u.pathname = `/${database}`;
      return u.toString();
    };
    const adminUrl = urlFor(primary.pathname.slice(1) || 'postgres');
    const query = async <T>(text: string) => withClient(adminUrl, async (c) => (await c.query(text)).rows as T[]);
    const recovery = await query<{ r: boolean }>('select pg_is_in_recovery() as r');
    if (!recovery[0].r) throw new Error('the standby is not in recovery');
    return {
      port,
      dir,
      backupMs,
      urlFor,
      query,
      async catchUp(timeoutMs = 30_000) {
        const target = await withClient(base, async (c) => (await c.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0].lsn);
        const until = Date.now() + timeoutMs;
        for (;;) {
          const [r] = await query<{ ok: boolean }>(`select pg_last_wal_replay_lsn() >= '${target}'::pg_lsn as ok`);
          if (r.ok) return;
          if (Date.now() > until) throw new Error(`the standby did not replay up to ${target} within ${timeoutMs} ms`);
          await new Promise((res) => setTimeout(res, 20));
        }
      },
      async stop() {
        stopSync();
      },
      async remove() {
        removeSync();
        process.removeListener('exit', removeSync);
      },
    };
  } catch (err) {
    const log = existsSync(path.join(dir, 'server.log')) ? readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000) : '';
    removeSync();
    process.removeListener('exit', removeSync);
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not start the standby: ${(err as Error).message}\n${stderr}\n${log}`);
  }
}
