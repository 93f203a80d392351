import { PGlite, types } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
const db = await PGlite.create();
db.serializers[types.BYTEA] = ((v: Uint8Array) => v) as any;
await db.exec('create table a (id int primary key, b bytea); create table e (id int primary key, b bytea); alter table e alter column b set storage external;');
const buf = randomBytes(1_100_000);
for (const t of ['a', 'e', 'a', 'e']) {
  const s = performance.now();
  await db.query(`insert into ${t} values ($1, $2) on conflict (id) do update set b = excluded.b`, [1, buf]);
  console.log(t, (performance.now() - s).toFixed(0));
}
const z = Buffer.alloc(1_100_000, 7);
for (const t of ['a', 'e']) { const s = performance.now(); await db.query(`insert into ${t} values ($1, $2) on conflict (id) do update set b = excluded.b`, [2, z]); console.log('zeros', t, (performance.now() - s).toFixed(0)); }
