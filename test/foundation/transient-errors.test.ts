import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makePerson } from '../helpers/factories.js';
import { persons } from '../../src/db/schema/persons.js';

// When PostgreSQL rolls a transaction back because another one on the same rows won (a deadlock,
// a serialization failure), the user is told to repeat the action, not shown a server error.
// The database raises the same SQLSTATE here on demand, through a trigger, on both engines.

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  await t.database.db.execute(sql.raw(`
    create function test_deadlock() returns trigger language plpgsql as $$
    begin
      if new.surname = 'Взаимоблокировка' then raise exception 'simulated deadlock' using errcode = 'deadlock_detected'; end if;
      return new;
    end $$`));
  await t.database.db.execute(sql.raw('create trigger test_deadlock before update on persons for each row execute function test_deadlock()'));
});
afterAll(async () => t?.close());

describe('a transaction rolled back by a deadlock', () => {
  it('answers 409 with "nothing saved, repeat it", in Russian and English, and changes nothing', async () => {
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Исходный', jobTitle: 'Инженер' });
    const c = await t.as('secretary');
    const res = await c.post(`/persons/${p.id}`, { surname: 'Взаимоблокировка', jobTitle: 'Директор', version: String(p.version) });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('ничего не сохранено');
    const [row] = await t.database.db.select().from(persons).where(eq(persons.id, p.id));
    expect(row).toMatchObject({ surname: 'Исходный', jobTitle: 'Инженер', version: p.version });

    const fragment = await c.post(`/persons/${p.id}`, { surname: 'Взаимоблокировка', version: String(p.version) }, { 'hx-request': 'true' });
    expect(fragment.statusCode).toBe(409);
    expect(fragment.headers['hx-retarget']).toBe('#flash');

    const en = await t.as('secretary');
    await en.post('/locale', { lang: 'en', next: '/' });
    const english = await en.post(`/persons/${p.id}`, { surname: 'Взаимоблокировка', version: String(p.version) });
    expect(english.statusCode).toBe(409);
    expect(english.body).toContain('nothing was saved');

    // The same form without the clash saves.
    const ok = await c.post(`/persons/${p.id}`, { surname: 'Исправленный', version: String(p.version) });
    expect(ok.statusCode).toBe(303);
  });
});
