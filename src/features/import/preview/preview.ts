import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../../db/client.js';
import type { Address } from '../../../db/schema/address.js';
import { importBatches, importRows } from '../../../db/schema/imports.js';
import type { User } from '../../../db/schema/users.js';
import { normalizeKey } from '../../../lib/text.js';
import { instanceId } from '../../../lib/exchange/keys.js';
import { bulkInsert } from '../../../db/bulk.js';
import { forgetRows, keepRows } from './kept-rows.js';
import { packRow, unpackRow } from '../pack.js';
import { addressKey, isEmptyAddress } from '../read/mapping.js';
import { nameKey, organizationsByName, personSortKey, personsByEmail, personsByName, recordsByKey } from './match.js';
import type { DraftRow, ParsedImport, PersonDraft } from '../types.js';
import { mapSliced, timeSlicer } from '../../../lib/limit.js';

/**
 * The preview: what each row will become, which existing card it probably duplicates, and where
 * an Outlook business address will go, computed in bulk against the directory and stored with the
 * batch. Nothing in the directory is written here.
 */
export interface Duplicate {
  id: number;
  reason: 'key' | 'email' | 'name';
}

/** Organizations the rows name, as they are now: existing id by company name or by XML key. */
export async function resolveOrganizations(db: Db | Tx, rows: DraftRow[], instance: string) {
  const companies: string[] = [];
  const orgRows: { key: string; name: string }[] = [];
  for (const r of rows) {
    if (r.data.kind === 'person' && r.data.person.organization && 'name' in r.data.person.organization) companies.push(r.data.person.organization.name);
    if (r.data.kind === 'organization') orgRows.push({ key: r.data.organization.key, name: r.data.organization.name });
  }
  // Outside a transaction each lookup takes its own pooled connection: they run side by side.
  const [byName, byKey] = await Promise.all([
    organizationsByName(db, [...companies, ...orgRows.map((o) => o.name)]),
    recordsByKey(db, 'organization', orgRows.map((o) => o.key), instance),
  ]);
  // An XML organization is the one it was exported from, else the active one of the same name.
  const xmlOrg = new Map<string, number | null>();
  for (const o of orgRows) xmlOrg.set(o.key, byKey.get(o.key) ?? byName.get(normalizeKey(o.name))?.id ?? null);
  return { byName, xmlOrg };
}

/** The existing organization a person row belongs to (null: none, or one this import creates). */
export function existingOrganizationOf(p: PersonDraft, orgs: Awaited<ReturnType<typeof resolveOrganizations>>): number | null {
  if (!p.organization) return null;
  if ('name' in p.organization) return orgs.byName.get(normalizeKey(p.organization.name))?.id ?? null;
  return orgs.xmlOrg.get(p.organization.key) ?? null;
}

/**
 * Probable duplicates of the person rows: the same record (XML key), the same e-mail, or the same
 * full name (case- and Ё-insensitive) in the same organization.
 */
export async function findDuplicates(db: Db | Tx, rows: DraftRow[], orgs: Awaited<ReturnType<typeof resolveOrganizations>>, instance: string): Promise<Map<number, Duplicate>> {
  const people = rows.map((r, i) => [i, r.data.kind === 'person' ? r.data.person : null] as const).filter((x): x is readonly [number, PersonDraft] => x[1] !== null && !x[1].organizationOnly && Boolean(x[1].surname));
  // A person of an organization this import creates cannot have a namesake there yet: only the
  // rows of an existing organization, or of none, are looked up by name.
  const orgOf = await mapSliced(people, ([, p]) => existingOrganizationOf(p, orgs));
  const [byKey, byEmail, byName] = await Promise.all([
    recordsByKey(db, 'person', people.flatMap(([, p]) => (p.key ? [p.key] : [])), instance),
    personsByEmail(db, people.flatMap(([, p]) => p.emails)),
    personsByName(db, people.flatMap(([, p], j) => (p.organization && orgOf[j] === null ? [] : [{ sortKey: personSortKey(p), organizationId: orgOf[j] }]))),
  ]);
  const out = new Map<number, Duplicate>();
  const clock = timeSlicer();
  for (const [j, [i, p]] of people.entries()) {
    if (clock.due()) await clock.yield();
    const key = p.key ? byKey.get(p.key) : undefined;
    if (key) {
      out.set(i, { id: key, reason: 'key' });
      continue;
    }
    const email = p.emails.map((e) => byEmail.get(e.toLowerCase())).find((id) => id !== undefined);
    if (email) {
      out.set(i, { id: email, reason: 'email' });
      continue;
    }
    const orgId = orgOf[j];
    if (p.organization && orgId === null) continue;
    const name = byName.get(nameKey(personSortKey(p), orgId));
    if (name) out.set(i, { id: name, reason: 'name' });
  }
  return out;
}

/**
 * Where each Outlook business address goes: to the organization when it has none yet (the first
 * row of a company gives it), else to the person's own address, unless it is the same place.
 * `orgAddress` tells the current address of an existing organization (null: none, or new).
 */
export async function placeAddresses(rows: DraftRow[], orgAddress: (p: PersonDraft) => Address | null): Promise<void> {
  // The company's address with its comparison key, worked out once per company, not per row.
  const given = new Map<string, { address: Address; key: string }>();
  const clock = timeSlicer();
  for (const r of rows) {
    if (clock.due()) await clock.yield();
    if (r.data.kind !== 'person') continue;
    const p = r.data.person;
    const b = p.businessAddress;
    if (!b || !p.organization || !('name' in p.organization)) continue;
    const company = normalizeKey(p.organization.name);
    let base = given.get(company);
    if (!base) {
      const existing = orgAddress(p);
      if (existing) given.set(company, (base = { address: existing, key: addressKey(existing) }));
    }
    if (!base) {
      given.set(company, { address: b, key: addressKey(b) });
      p.addressTo = 'organization';
    } else {
      p.addressTo = base.key === addressKey(b) || !isEmptyAddress(p.address) ? 'same' : 'person';
    }
  }
}

export interface StoredBatch {
  id: number;
}

/**
 * Stores a checked file as a preview batch with its rows. `source`: the file itself, kept while the
 * batch is in preview when it may be read again (a table's mapping step, a spreadsheet's sheet
 * choice). `replace`: the batch read again (with a mapping or another sheet): its rows are replaced.
 */
export async function storeBatch(
  db: Db,
  actor: User,
  file: { name: string; size: number },
  parsed: ParsedImport,
  keep: { source?: Buffer | null; replace?: number } = {},
): Promise<StoredBatch> {
  const instance = await instanceId(db);
  const orgs = await resolveOrganizations(db, parsed.rows, instance);
  const duplicates = await findDuplicates(db, parsed.rows, orgs, instance);
  await placeAddresses(parsed.rows, (p) => (p.organization && 'name' in p.organization ? (orgs.byName.get(normalizeKey(p.organization.name))?.address ?? null) : null));
  const packed = await mapSliced(parsed.rows, (r) => packRow(r.data));
  const stored = await db.transaction(async (tx) => {
    const read = { format: parsed.format, encoding: parsed.encoding, delimiter: parsed.delimiter, details: parsed.details, total: parsed.rows.length, source: keep.source ?? null };
    const [batch] = keep.replace
      ? await tx.update(importBatches).set({ ...read, version: sql`${importBatches.version} + 1` }).where(eq(importBatches.id, keep.replace)).returning({ id: importBatches.id, version: importBatches.version })
      : await tx
          .insert(importBatches)
          .values({ createdBy: actor.id, fileName: file.name.slice(0, 255), fileSize: file.size, options: { decision: 'skip', createGroups: false }, ...read })
          .returning({ id: importBatches.id, version: importBatches.version });
    if (keep.replace) await tx.delete(importRows).where(eq(importRows.batchId, batch.id));
    await bulkInsert(
      tx,
      importRows,
      parsed.rows.map((r, i) => {
          const dup = duplicates.get(i);
          return {
            batchId: batch.id,
            rowNo: i + 1,
            kind: r.data.kind,
            line: r.line,
            data: packed[i],
            problems: r.problems,
            duplicateId: dup?.id ?? null,
            duplicateReason: dup?.reason ?? null,
            photoThumbnail: r.photo?.thumbnail ?? null,
            photoOriginal: r.photo?.original ?? null,
            photoType: r.photo?.originalType ?? null,
            photoWidth: r.photo?.width ?? null,
            photoHeight: r.photo?.height ?? null,
          };
        }),
      500,
    );
    return { id: batch.id, version: batch.version };
  });
  // What the commit would read back from import_rows, kept for it (see kept-rows.ts).
  forgetRows(stored.id);
  keepRows(
    stored.id,
    parsed.rows.map((r, i) => ({ rowNo: i + 1, kind: r.data.kind, data: unpackRow(packed[i]), decision: null, duplicateId: duplicates.get(i)?.id ?? null, hasPhoto: r.photo !== null })),
    stored.version,
  );
  return stored;
}
