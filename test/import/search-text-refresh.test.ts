import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { commit, uploadOk } from './helpers.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { persons } from '../../src/db/schema/persons.js';

/**
 * An organization's names are part of its persons' search text (the locator finds a person by
 * the organization's short name). The form refreshes it on a rename; the import filling a short
 * name and its undo taking it back must, too.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;
const searchTextOf = async (id: number) => (await db().select({ s: persons.searchText }).from(persons).where(eq(persons.id, id)))[0].s;
const shortNameOf = async (id: number) => (await db().select({ s: organizations.shortName }).from(organizations).where(eq(organizations.id, id)))[0].s;

const xml = (name: string, shortName: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<contacts xmlns="urn:edms:crm:contacts:1" version="1" exported="2026-01-01T00:00:00.000Z" scope="all">
  <groups/>
  <organizations>
    <organization id="o1-shortname">
      <name>${name}</name>
      <shortName>${shortName}</shortName>
    </organization>
  </organizations>
  <persons/>
  <memberships/>
</contacts>
`);

describe("persons' search text follows their organization's short name", () => {
  it('the import filling a short name refreshes it, and its undo taking the short name back refreshes it again', async () => {
    const s = t.users.secretary;
    const org = await makeOrganization(db(), s, { name: 'ООО «Поле Один»' });
    const person = await makePerson(db(), s, { surname: 'Полевой', organizationId: org.id });
    expect(await searchTextOf(person.id)).not.toContain('полеван');

    const c = await t.as('secretary');
    const id = await uploadOk(c, xml('ООО «Поле Один»', 'Полеван'), 'short.xml');
    expect((await commit(t, c, id)).report).toMatchObject({ organizations: { updated: 1, created: 0 } });
    expect(await shortNameOf(org.id)).toBe('Полеван');
    // As the form would have it: the person is found by the organization's new short name.
    expect(await searchTextOf(person.id)).toContain('полеван');

    const res = await c.post(`/import/${id}/undo`);
    expect(res.statusCode, res.body.slice(0, 1000)).toBe(303);
    const [batch] = await db().select().from(importBatches).where(eq(importBatches.id, id));
    expect(batch.undoReport).toMatchObject({ restored: 1, left: [] });
    expect(await shortNameOf(org.id)).toBe('');
    expect(await searchTextOf(person.id)).not.toContain('полеван');
  });
});
