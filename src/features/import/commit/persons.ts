import { asc, sql } from 'drizzle-orm';
import type { Address } from '../../../db/schema/address.js';
import type { ImportDecision } from '../../../db/schema/imports.js';
import { personEmails, personPhones, personPhotos, persons, type Person, type PersonEmail, type PersonPhone } from '../../../db/schema/persons.js';
import { auditablePerson, derivedPersonColumns, MAX_EMAILS, parsedPhone, PERSON_AUDIT_FIELDS, personValuesOf, photoLabel, type PersonWrite } from '../../persons/model.js';
import { allocateIds, anyInt, bulkUpdate, chunked, send } from '../../../db/bulk.js';
import { isEmptyAddress, sameAddress } from '../read/mapping.js';
import { merge, type Update } from './merge.js';
import type { PersonDraft, PhoneInput } from '../types.js';
import { insertPersons, writeContacts } from './writers.js';
import type { OrganizationWriter } from './organizations.js';
import type { CommitState, StoredRow } from './state.js';
import { yieldToEventLoop } from '../../../lib/limit.js';

/** Persons per insert or update: each part's rows are prepared in well under 50 ms. */
const CHUNK = 500;

/** Stored phones that are exactly what writeContacts would write for `phones`. */
function samePhones(stored: PersonPhone[], phones: PhoneInput[]): boolean {
  return stored.length === phones.length && stored.every((x, i) => x.position === i && x.kind === phones[i].kind && x.number === phones[i].number && x.e164 === (parsedPhone(x.number)?.e164 ?? null));
}

function sameEmails(stored: PersonEmail[], emails: string[]): boolean {
  return stored.length === emails.length && stored.every((x, i) => x.position === i && x.email === emails[i]);
}

/** Persons: created in bulk, or merged into the existing cards the user chose to update. */
export class PersonWriter {
  constructor(
    private readonly state: CommitState,
    /** The file's companies are matched or created as their persons are written. */
    private readonly organizationWriter: OrganizationWriter,
  ) {}

  async persons(rows: StoredRow[]) {
    if (!rows.length) return;
    const applied: { row: StoredRow; p: PersonDraft; decision: ImportDecision }[] = [];
    for (const row of rows) {
      const p = (row.data as { person: PersonDraft }).person;
      if (!p.surname && !p.organizationOnly) {
        this.state.outcome(row.rowNo, 'failed', 'import.reason.noName');
        continue;
      }
      const decision: ImportDecision = p.organizationOnly || !row.duplicateId ? 'create' : (row.decision ?? this.state.options.decision);
      if (decision === 'skip') {
        this.state.outcome(row.rowNo, 'skipped', 'import.reason.duplicateSkipped', row.duplicateId);
        if (p.key && row.duplicateId) this.state.personByKey.set(p.key, row.duplicateId);
        continue;
      }
      applied.push({ row, p, decision });
    }
    await this.organizationWriter.companies(applied);
    await this.state.tick(rows.length - applied.length);

    const toCreate: { row: StoredRow; p: PersonDraft; write: PersonWrite }[] = [];
    const toUpdate: Update[] = [];
    for (const a of applied) {
      if (a.p.organizationOnly) continue;
      const organizationId = this.organizationWriter.organizationIdOf(a.p);
      const address = this.ownAddress(a.p, organizationId);
      if (a.decision === 'update' && a.row.duplicateId) toUpdate.push({ row: a.row, p: a.p, id: a.row.duplicateId, organizationId, address });
      else toCreate.push({ row: a.row, p: a.p, write: { values: this.values(a.p, organizationId, address), phones: a.p.phones, emails: a.p.emails.slice(0, MAX_EMAILS) } });
    }
    for (const part of chunked(toUpdate, CHUNK)) {
      const vanished = await this.updatePersons(part);
      // A card deleted since the preview cannot be updated: the row creates one instead.
      for (const u of vanished) toCreate.push({ row: u.row, p: u.p, write: { values: this.values(u.p, u.organizationId, u.address), phones: u.p.phones, emails: u.p.emails.slice(0, MAX_EMAILS) } });
      await this.state.tick(part.length - vanished.length);
    }

    // Ids for all of them at once: the inserts then go out without waiting for one another.
    const allIds = await allocateIds(this.state.tx, persons, toCreate.length);
    for (const [k, part] of chunked(toCreate, CHUNK).entries()) {
      const ids = await insertPersons(this.state.pipe, this.state.stamp, part.map((c) => c.write), (id) => (id ? (this.state.orgs.get(id) ?? null) : null), allIds.slice(k * CHUNK, k * CHUNK + part.length));
      // The statements go down a pipeline without waiting: let the event loop in between parts.
      await yieldToEventLoop();
      part.forEach((c, i) => {
        const id = ids[i];
        if (c.p.key) this.state.personByKey.set(c.p.key, id);
        this.state.createdPersons.set(id, this.state.journal.audit('person', id, 'create', null, auditablePerson(c.write.values, c.write.phones, c.write.emails), PERSON_AUDIT_FIELDS));
        this.state.journal.change('person', id, 'created', { versionAfter: 1, externalKey: c.p.key });
        this.state.outcome(c.row.rowNo, 'created', null, id);
        this.state.report.persons.created++;
        if (c.p.categories.length) this.state.categories.push({ member: { personId: id }, names: c.p.categories });
      });
      await this.state.photos(part.flatMap((c, i) => (c.row.hasPhoto ? [{ rowNo: c.row.rowNo, personId: ids[i] }] : [])));
      await this.state.tick(part.length);
    }
  }

  /** The business address goes to the person only when the organization has another one. */
  private ownAddress(p: PersonDraft, organizationId: number | null): Address {
    const b = p.businessAddress;
    if (!b || organizationId === null || !isEmptyAddress(p.address)) return p.address;
    const orgAddress = this.state.orgs.get(organizationId)?.address ?? null;
    return orgAddress && !sameAddress(orgAddress, b) ? b : p.address;
  }

  private values(p: PersonDraft, organizationId: number | null, address: Address): PersonWrite['values'] {
    return {
      surname: p.surname,
      firstName: p.firstName,
      patronymic: p.patronymic,
      influence: p.influence,
      organizationId,
      jobTitle: p.jobTitle,
      gender: p.gender,
      dativeOverride: p.dativeOverride,
      note: p.note,
      ...address,
      archivedAt: p.archivedAt ? new Date(p.archivedAt) : null,
    };
  }

  /**
   * "Update the existing card", for many rows at once: the file's non-empty values replace the
   * card's, its phones and e-mails are added to the card's, its photo replaces the card's. Several
   * rows for one card apply in file order. The card as it was is kept for undo. Returns the rows
   * whose card no longer exists.
   */
  private async updatePersons(list: Update[]): Promise<Update[]> {
    const ids = [...new Set(list.map((u) => u.id))];
    const withPhoto = [...new Set(list.filter((u) => u.row.hasPhoto).map((u) => u.id))];
    // One after another: a transaction is one connection, which runs one query at a time.
    const found = await this.state.tx.select().from(persons).where(sql`${persons.id} = ${anyInt(ids)}`).for('update');
    const phones = await this.state.tx.select().from(personPhones).where(sql`${personPhones.personId} = ${anyInt(ids)}`).orderBy(asc(personPhones.position), asc(personPhones.id));
    const emails = await this.state.tx.select().from(personEmails).where(sql`${personEmails.personId} = ${anyInt(ids)}`).orderBy(asc(personEmails.position), asc(personEmails.id));
    const photos = withPhoto.length ? await this.state.tx.select().from(personPhotos).where(sql`${personPhotos.personId} = ${anyInt(withPhoto)}`) : [];
    const byId = new Map(found.map((p) => [p.id, p]));
    const group = <T extends { personId: number }>(rows: T[]) => {
      const m = new Map<number, T[]>();
      for (const r of rows) {
        const list = m.get(r.personId);
        if (list) list.push(r);
        else m.set(r.personId, [r]);
      }
      return m;
    };
    const phonesOf = group(phones);
    const emailsOf = group(emails);
    const photoOf = new Map(photos.map((ph) => [ph.personId, ph]));

    const cards = new Map<number, { before: Person; oldPhones: PhoneInput[]; oldEmails: string[]; write: PersonWrite; rows: Update[] }>();
    const vanished: Update[] = [];
    for (const u of list) {
      const before = byId.get(u.id);
      if (!before) {
        vanished.push(u);
        continue;
      }
      let card = cards.get(u.id);
      if (!card) {
        const oldPhones = (phonesOf.get(u.id) ?? []).map((x) => ({ kind: x.kind, number: x.number }));
        const oldEmails = (emailsOf.get(u.id) ?? []).map((x) => x.email);
        const values = personValuesOf(before);
        card = { before, oldPhones, oldEmails, write: { values, phones: oldPhones, emails: oldEmails }, rows: [] };
        cards.set(u.id, card);
      }
      card.write = merge(card.write, u, this.state.stamp.at);
      card.rows.push(u);
    }
    if (!cards.size) return vanished;

    await this.state.loadOrgs([...cards.values()].flatMap((c) => (c.write.values.organizationId ? [c.write.values.organizationId] : [])));
    const list2 = [...cards.entries()];
    await bulkUpdate(
      this.state.pipe,
      persons,
      list2.map(([id, c]) => ({ id, ...c.write.values, ...derivedPersonColumns(c.write, c.write.values.organizationId ? (this.state.orgs.get(c.write.values.organizationId) ?? null) : null), version: c.before.version + 1, updatedAt: this.state.stamp.at, updatedBy: this.state.actor.id })),
    );
    // Phones and e-mails are rewritten only for the cards whose list changed: a file sent again
    // adds nothing, and rewriting identical rows would only renumber them.
    const phonesChanged = list2.filter(([id, c]) => !samePhones(phonesOf.get(id) ?? [], c.write.phones));
    const emailsChanged = list2.filter(([id, c]) => !sameEmails(emailsOf.get(id) ?? [], c.write.emails));
    if (phonesChanged.length) await send(this.state.pipe, sql`delete from ${personPhones} where ${personPhones.personId} = ${anyInt(phonesChanged.map(([id]) => id))}`);
    if (emailsChanged.length) await send(this.state.pipe, sql`delete from ${personEmails} where ${personEmails.personId} = ${anyInt(emailsChanged.map(([id]) => id))}`);
    await writeContacts(this.state.pipe, [
      ...phonesChanged.map(([id, c]) => ({ personId: id, phones: c.write.phones, emails: [] })),
      ...emailsChanged.map(([id, c]) => ({ personId: id, phones: [], emails: c.write.emails })),
    ]);

    for (const [id, c] of list2) {
      const after = { ...c.before, ...c.write.values, version: c.before.version + 1 };
      this.state.journal.audit('person', id, 'update', auditablePerson(c.before, c.oldPhones, c.oldEmails), auditablePerson(after, c.write.phones, c.write.emails), PERSON_AUDIT_FIELDS);
      const replacesPhoto = c.rows.some((u) => u.row.hasPhoto);
      const old = photoOf.get(id);
      const oldPhoto = old ? { thumbnail: old.thumbnail.toString('base64'), original: old.original.toString('base64'), originalType: old.originalType, width: old.width, height: old.height } : null;
      // `photo` is left out when the import did not touch it, so undo leaves it alone too.
      this.state.journal.change('person', id, 'updated', { before: { ...c.before, phones: c.oldPhones, emails: c.oldEmails, photo: replacesPhoto ? oldPhoto : undefined }, versionAfter: after.version });
      this.state.report.persons.updated++;
      for (const u of c.rows) {
        if (u.p.key) this.state.personByKey.set(u.p.key, id);
        if (u.p.categories.length) this.state.categories.push({ member: { personId: id }, names: u.p.categories });
        this.state.outcome(u.row.rowNo, 'updated', null, id);
      }
    }
    // The last row with a photo wins, as it would when the rows were applied one by one.
    const lastPhoto = new Map<number, number>();
    for (const u of list) if (u.row.hasPhoto && cards.has(u.id)) lastPhoto.set(u.id, u.row.rowNo);
    const replaced = new Map([...lastPhoto.keys()].map((id) => [id, photoLabel(photoOf.get(id))]));
    await this.state.photos([...lastPhoto].map(([personId, rowNo]) => ({ rowNo, personId })), replaced);
    return vanished;
  }
}
