import { PGlite, types } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
const mode = process.argv[2];
const db = await PGlite.create();
if (mode === 'bin') db.serializers[types.BYTEA] = ((v: Uint8Array) => v) as any;
if (mode === 'hex') db.serializers[types.BYTEA] = ((v: Uint8Array) => '\\x' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')) as any;
db.parsers[types.BYTEA] = (s: string) => Buffer.from(s.slice(2), 'hex');
await db.exec('create table a (id int primary key, b bytea)');
const buf = randomBytes(1_100_000);
for (let i = 0; i < 3; i++) {
  let s = performance.now();
  await db.query(`insert into a values ($1, $2) on conflict (id) do update set b = excluded.b`, [1, buf]);
  const ins = performance.now() - s; s = performance.now();
  const r = await db.query<{ b: Buffer }>('select b from a where id = 1');
  console.log(mode, 'insert', ins.toFixed(0), 'select', (performance.now() - s).toFixed(0), 'equal', Buffer.from(r.rows[0].b).equals(buf));
}
