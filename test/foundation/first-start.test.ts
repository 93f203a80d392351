import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { firstAdminNotice } from '../../src/features/users/service.js';
import { Client } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';

/** A pino destination that keeps every line the app logs. */
function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('first start on an empty database without ADMIN_PASSWORD', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('hands the generated password over once, keeps it out of the JSON log, and it signs in', async () => {
    const { database, drop } = await freshDatabase();
    cleanups.push(drop);
    const config = loadConfig({ DATA_DIR: ':memory:', LOG_LEVEL: 'info', LOGIN_RATE_LIMIT: '100' });
    const log = logSink();
    const shown: { login: string; password: string }[] = [];
    const app = await buildApp(config, { database, logger: { level: 'info', stream: log.stream }, onGeneratedAdmin: (a) => shown.push(a) });
    cleanups.push(() => app.close());
    await app.ready();

    expect(shown).toHaveLength(1);
    const [{ login, password }] = shown;
    expect(login).toBe('admin');
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(log.lines.some((l) => l.includes('generated password'))).toBe(true);
    expect(log.lines.some((l) => l.includes(password))).toBe(false);

    const client = new Client(app);
    const res = await client.signIn(login, password);
    expect(res.headers.location).toBe('/');

    // A second start (another instance, a restart) on the same database shows nothing.
    const again: unknown[] = [];
    const second = await buildApp(config, { database, logger: false, onGeneratedAdmin: (a) => again.push(a) });
    await second.ready();
    await second.close();
    expect(again).toEqual([]);
  });

  it('prints the block a newcomer reads: address, login and password on lines of their own', () => {
    const text = firstAdminNotice('admin', 'Xy7-secret', 'http://127.0.0.1:3000/login');
    expect(text).toMatch(/^={72}$/m);
    expect(text).toMatch(/^ +http:\/\/127\.0\.0\.1:3000\/login$/m);
    expect(text).toMatch(/^ +login \/ логин: +admin$/m);
    expect(text).toMatch(/^ +password \/ пароль: +Xy7-secret$/m);
    expect(text).not.toContain('{');
  });

  it('`npm start` shows it on stderr after the server listens, at the address it listens on', async () => {
    const fresh = await freshDatabase();
    cleanups.push(fresh.drop);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'crm-first-start-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.ADMIN_PASSWORD;
    delete env.ADMIN_PASSWORD_FILE;
    if (fresh.url) env.DATABASE_URL = fresh.url;
    else delete env.DATABASE_URL;
    // The PGlite test database is not needed by the server process: it opens its own in dataDir.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const block = await new Promise<RegExpExecArray>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /^ +(http:\/\/\S+)\n +login \/ логин: +(\S+)\n +password \/ пароль: +(\S+)$/m.exec(stderr);
        if (m) resolve(m);
      });
      child.on('exit', () => reject(new Error(`server exited before the notice:\n${stderr}\n${stdout}`)));
    });
    const [, url, login, password] = block;
    // Printed once the server listens: the address answers right away.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(login).toBe('admin');
    expect(stdout).not.toContain(password);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr.split(password).length - 1).toBe(1);
  }, 180_000);
});
