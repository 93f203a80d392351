import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createTestApp } from '../test/helpers/app.ts';
import { makePerson } from '../test/helpers/factories.ts';
const which = process.argv[2] ?? 'png';
const t = await createTestApp();
await t.app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
const c = await t.as('secretary');
await c.get('/contacts');
let file: Buffer;
if (which === 'csv') {
  const pieces: Buffer[] = [Buffer.from('First Name,Last Name,Company,E-mail Address\r\n')];
  for (let k = 0; k < 100; k++) { let s = ''; for (let i = k * 10000; i < (k + 1) * 10000; i++) s += `A${i},B${i},C,\r\n`; pieces.push(Buffer.from(s)); }
  file = Buffer.concat(pieces);
} else {
  const img = sharp({ create: { width: 6300, height: 6300, channels: 3, background: { r: 240, g: 235, b: 220 } } });
  file = await (which === 'png' ? img.png({ compressionLevel: 9 }) : img.jpeg({ quality: 80 })).toBuffer();
}
if (which === 'csv') {
  const small = Buffer.from('First Name,Last Name\r\nA,B\r\n');
  const b2 = Buffer.concat([Buffer.from(`--xx\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n`), small, Buffer.from(`\r\n--xx--\r\n`)]);
  const r = await fetch(base + '/import', { method: 'POST', body: b2, redirect: 'manual', headers: { 'content-type': `multipart/form-data; boundary=xx`, 'x-csrf-token': c.csrf, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  console.log('warm', r.status);
}
await new Promise((r) => setTimeout(r, 500));
const p = await makePerson(t.database.db, t.users.secretary);
const boundary = '----x';
const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${which === 'csv' ? 'file' : 'photo'}"; filename="a.${which}"\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
let last = performance.now();
const t0 = last;
const gaps: string[] = [];
const iv = setInterval(() => { const now = performance.now(); if (now - last > 40) gaps.push(`${(last - t0).toFixed(0)}+${(now - last).toFixed(0)}`); last = now; }, 5);
const res = await fetch(base + (which === 'csv' ? '/import' : `/persons/${p.id}/photo`), { method: 'POST', body, redirect: 'manual', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-csrf-token': c.csrf, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
console.log(res.status, (performance.now() - t0).toFixed(0), 'ms; gaps', gaps.join(' '));
clearInterval(iv);
await t.close();
