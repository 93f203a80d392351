import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personPhotos } from '../../src/db/schema/persons.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { makePerson } from '../helpers/factories.js';

/**
 * Heavy uploads never freeze the server (issue 14): while a photo of 40 megapixels or a file of a
 * million rows is being read, a second client's /healthz keeps answering. The app runs in this
 * process, so the event loop measured here is the server's.
 *
 * Before the fix these uploads held the loop for 9 to 40 seconds. On a quiet machine the longest
 * pause measured here is 50–150 ms; the bound leaves room for a CI machine shared with other jobs
 * (on a 2-core machine at load 25, an idle Node process already sees 200 ms pauses) and is still a
 * tenth of the old stall. The benchmark's event-loop scenario holds the strict targets.
 */
const STALL_BOUND_MS = 1000;
/**
 * A /healthz answer also waits for CPU time the worker threads (parsing, sharp) take on a 2-core
 * machine: at load 10 one took 3 s while the loop itself was never held over the bound above.
 * Still a fraction of the old 7–35 s freeze, which held the loop itself.
 */
const HEALTHZ_BOUND_MS = 5000;

let t: TestApp;
let base: string;
let c: Client;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  c = await t.as('secretary');
  await c.get('/contacts');
  // The first fetch loads the HTTP client, sharp its library: both before anything is measured.
  await (await fetch(base + '/healthz')).text();
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();
});
afterAll(async () => {
  await t?.close();
});

/** A multipart body with one file, as a browser sends it. */
function multipart(field: string, filename: string, content: Buffer) {
  const boundary = '----crmheavy' + Math.random().toString(16).slice(2);
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** Posts a file over real HTTP (streamed in network-sized chunks, as a browser does). */
async function postFile(path: string, field: string, filename: string, content: Buffer) {
  const m = multipart(field, filename, content);
  const res = await fetch(base + path, {
    method: 'POST',
    body: m.body,
    redirect: 'manual',
    headers: { 'content-type': m.type, 'x-csrf-token': c.csrf, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
  });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

/**
 * Runs `work` while another client polls /healthz, and reports the slowest answer and the longest
 * the event loop was held.
 */
async function watched<T>(work: () => Promise<T>) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  let running = true;
  let slowest = 0;
  let answers = 0;
  const poll = (async () => {
    while (running) {
      const start = performance.now();
      const res = await fetch(base + '/healthz');
      await res.text();
      expect(res.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - start);
      answers++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  delay.enable();
  try {
    const result = await work();
    const measured = { slowestHealthzMs: slowest, answers, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6 };
    return { result, ...measured };
  } finally {
    delay.disable();
    running = false;
    await poll;
  }
}

/** A 6300×6300 image (39.7 megapixels, under the 40-megapixel limit): a flat picture with a little structure, small once compressed. */
async function bigImage(format: 'png' | 'jpeg'): Promise<Buffer> {
  const size = 6300;
  const stripe = await sharp({ create: { width: size, height: 60, channels: 3, background: { r: 200, g: 30, b: 40 } } }).png().toBuffer();
  const img = sharp({ create: { width: size, height: size, channels: 3, background: { r: 240, g: 235, b: 220 } } }).composite([{ input: stripe, top: 0, left: 0 }]);
  return format === 'png' ? img.png({ compressionLevel: 9 }).toBuffer() : img.jpeg({ quality: 80 }).toBuffer();
}

describe('a big photo does not freeze the server', () => {
  for (const format of ['png', 'jpeg'] as const) {
    it(`a 6300×6300 ${format.toUpperCase()} is thumbnailed while /healthz keeps answering`, async () => {
      const file = await bigImage(format);
      expect(file.length).toBeLessThan(5 * 1024 * 1024);
      const p = await makePerson(t.database.db, t.users.secretary);
      const { result, slowestHealthzMs, maxDelayMs, p99DelayMs, answers } = await watched(() => postFile(`/persons/${p.id}/photo`, 'photo', `big.${format}`, file));
      expect(result.status, result.body.slice(0, 500)).toBe(303);
      const [photo] = await t.database.db.select().from(personPhotos).where(eq(personPhotos.personId, p.id));
      expect([photo.width, photo.height]).toEqual([320, 320]);
      expect(photo.originalType).toBe(`image/${format}`);
      expect(answers).toBeGreaterThan(0);
      expect(maxDelayMs, `event loop delay (p99 ${p99DelayMs} ms)`).toBeLessThan(STALL_BOUND_MS);
      expect(slowestHealthzMs, '/healthz').toBeLessThan(HEALTHZ_BOUND_MS);
    });
  }

  it('a phone portrait (EXIF orientation 6) is stored upright', async () => {
    // The sensor's 4000×3000 landscape, marked "turn 90° clockwise" as phones do.
    const raw = sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 90, g: 120, b: 200 } } });
    const file = await raw.jpeg({ quality: 70 }).withMetadata({ orientation: 6 }).toBuffer();
    const p = await makePerson(t.database.db, t.users.secretary);
    const res = await postFile(`/persons/${p.id}/photo`, 'photo', 'IMG_0001.JPG', file);
    expect(res.status, res.body.slice(0, 500)).toBe(303);
    const [photo] = await t.database.db.select().from(personPhotos).where(eq(personPhotos.personId, p.id));
    expect([photo.width, photo.height]).toEqual([240, 320]);
    const meta = await sharp(photo.thumbnail).metadata();
    expect([meta.width, meta.height]).toEqual([240, 320]);
  });
});

describe('a big import file does not freeze the server', () => {
  it('a CSV of a million rows (11 MB) is refused at the row limit, without a stall', async () => {
    const head = 'First Name,Last Name,Company,E-mail Address\r\n';
    const file = millionRows(head);
    expect(file.length).toBeGreaterThan(10 * 1024 * 1024);
    const before = await t.database.db.select().from(importBatches);
    const { result, slowestHealthzMs, maxDelayMs, p99DelayMs } = await watched(() => postFile('/import', 'file', 'million.csv', file));
    expect(result.status).toBe(422);
    expect(result.body).toContain('В файле слишком много записей: можно не больше 50\u00a0000.');
    expect(await t.database.db.select().from(importBatches)).toEqual(before);
    expect(maxDelayMs, `event loop delay (p99 ${p99DelayMs} ms)`).toBeLessThan(STALL_BOUND_MS);
    expect(slowestHealthzMs, '/healthz').toBeLessThan(HEALTHZ_BOUND_MS);
  });
});

/**
 * A header and a million short rows, built a slice at a time: a million live strings in this
 * process would make its garbage collector, not the server, the pause being measured.
 */
function millionRows(head: string): Buffer {
  const pieces: Buffer[] = [Buffer.from(head)];
  for (let k = 0; k < 100; k++) {
    let s = '';
    for (let i = k * 10_000; i < (k + 1) * 10_000; i++) s += `A${i},B${i},C,\r\n`;
    pieces.push(Buffer.from(s));
  }
  return Buffer.concat(pieces);
}
