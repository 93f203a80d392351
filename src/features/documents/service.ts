import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { DIRECTIONS, documents, type Direction, type Document } from '../../db/schema/documents.js';
import type { User } from '../../db/schema/users.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { cleanText, normalizeKey } from '../../lib/text.js';
import { FormReader } from '../../lib/validate.js';
import { requireSecretary } from '../../lib/access.js';
import { diff, recordAudit } from '../audit/service.js';
import { rowsOf } from '../../db/rows.js';
import { parseDate, yearOf } from './dates.js';
import { MAX_DOCUMENT_BYTES, type UploadedFile } from './files.js';
import { allocateSeq, allocateSeqs, formatRegNumber } from './numbers.js';
import { deleteFile, filesOf, filesTotal, findCounterparty, insertFiles, lockDocument } from './queries.js';

/** The fields a secretary edits, in form order; direction and number are fixed at registration. */
export const DOCUMENT_FIELDS = ['regDate', 'senderNumber', 'senderDate', 'subject', 'summary', 'note', 'organizationId', 'personId'] as const;

export interface DocumentInput {
  direction: Direction;
  regDate: string;
  senderNumber: string;
  senderDate: string | null;
  subject: string;
  summary: string;
  note: string;
  organizationId: number | null;
  personId: number | null;
}

/** What the audit trail compares: counterparties by name, so the history reads without lookups. */
const AUDIT_FIELDS = ['direction', 'regNumber', 'regDate', 'senderNumber', 'senderDate', 'subject', 'summary', 'note', 'documentOrganization', 'documentPerson'] as const;

function readDate(f: FormReader, body: Record<string, unknown>, field: string, required: boolean): string | null {
  const raw = cleanText(body[field]);
  if (raw === '') {
    if (required) f.errors[field] = { key: 'validation.required' };
    return null;
  }
  const iso = parseDate(raw);
  if (!iso) f.errors[field] = { key: 'documents.badDate' };
  return iso;
}

/**
 * Reads and checks the document form; throws ValidationError with every field error. On an edit
 * (`existing`), the direction stays, the date stays in the number's year, and a counterparty
 * archived since registration may stay on the document; a newly chosen one must be active.
 */
export async function readDocumentForm(db: Db, body: Record<string, unknown>, existing?: Document): Promise<DocumentInput> {
  const f = new FormReader(body);
  const direction = existing ? existing.direction : f.oneOf('direction', DIRECTIONS, 'incoming');
  const regDate = readDate(f, body, 'regDate', true);
  const senderDate = readDate(f, body, 'senderDate', false);
  const input: DocumentInput = {
    direction,
    regDate: regDate ?? '',
    senderNumber: f.text('senderNumber', { max: 100 }),
    senderDate,
    subject: f.text('subject', { required: true, max: 1000 }),
    summary: f.text('summary', { max: 10000, multiline: true }),
    note: f.text('note', { max: 10000, multiline: true }),
    organizationId: f.id('organizationId'),
    personId: f.id('personId'),
  };
  if (existing && regDate && yearOf(regDate) !== existing.regYear) {
    // A string: numbers are shown with thousands separators ("2 037").
    f.errors.regDate = { key: 'documents.yearFixed', params: { year: String(existing.regYear) } };
  }
  // A letter cannot be dated after the day it arrived.
  if (direction === 'incoming' && regDate && senderDate && senderDate > regDate) {
    f.errors.senderDate = { key: 'documents.senderDateAfterReg' };
  }
  if (input.organizationId === null && input.personId === null && !f.errors.organizationId && !f.errors.personId) {
    f.errors.counterparty = { key: 'documents.counterpartyRequired' };
  }
  for (const [field, who] of [
    ['organizationId', input.organizationId === null ? null : { organizationId: input.organizationId }],
    ['personId', input.personId === null ? null : { personId: input.personId }],
  ] as const) {
    if (!who || f.errors[field]) continue;
    const found = await findCounterparty(db, who);
    const unchanged = existing && existing[field] === input[field];
    if (!found) f.errors[field] = { key: 'validation.choose' };
    else if (found.archivedAt && !unchanged) f.errors[field] = { key: field === 'personId' ? 'documents.personArchived' : 'documents.organizationArchived' };
  }
  if (!f.ok) throw new ValidationError(f.errors);
  return input;
}

function searchTextOf(d: { regNumber: string; subject: string; senderNumber: string }) {
  return normalizeKey(`${d.regNumber} ${d.subject} ${d.senderNumber}`);
}

async function auditable(tx: Db | Tx, d: Document) {
  const [org, person] = await Promise.all([
    d.organizationId ? findCounterparty(tx, { organizationId: d.organizationId }) : undefined,
    d.personId ? findCounterparty(tx, { personId: d.personId }) : undefined,
  ]);
  return { ...d, documentOrganization: org?.name ?? null, documentPerson: person?.name ?? null };
}

/** Throws a `files` field error when the files would take the document over its byte limit. */
function checkTotal(existingBytes: number, files: UploadedFile[]) {
  const total = existingBytes + files.reduce((s, f) => s + f.size, 0);
  if (total > MAX_DOCUMENT_BYTES) {
    throw new ValidationError({ files: { key: 'documents.file.documentTooLarge', params: { count: MAX_DOCUMENT_BYTES / 1024 / 1024 } } });
  }
}

/**
 * Registers a document with its files in one transaction: the number is taken, the row and the
 * files written and the audit entry recorded together, or nothing at all.
 */
export async function registerDocument(db: Db, actor: User, input: DocumentInput, files: UploadedFile[] = []): Promise<Document> {
  requireSecretary(actor);
  checkTotal(0, files);
  return db.transaction(async (tx) => {
    const regYear = yearOf(input.regDate);
    const regSeq = await allocateSeq(tx, input.direction, regYear);
    const regNumber = formatRegNumber(input.direction, regYear, regSeq);
    const [row] = await tx
      .insert(documents)
      .values({ ...input, regYear, regSeq, regNumber, searchText: searchTextOf({ ...input, regNumber }), createdBy: actor.id, updatedBy: actor.id })
      .returning();
    const stored = await insertFiles(tx, row.id, actor.id, files);
    await recordAudit(tx, {
      userId: actor.id,
      entityType: 'document',
      entityId: row.id,
      action: 'create',
      after: { ...(await auditable(tx, row)), files: stored.map((f) => f.fileName) },
      fields: [...AUDIT_FIELDS, 'files'],
    });
    return row;
  });
}

/** Saves the form unless someone saved the document since it was opened (then ConflictError). */
export async function updateDocument(db: Db, actor: User, id: number, version: number, input: DocumentInput): Promise<Document> {
  requireSecretary(actor);
  return db.transaction(async (tx) => {
    const before = await lockDocument(tx, id);
    if (!before) throw new NotFoundError();
    if (before.version !== version) throw new ConflictError('errors.conflict.text', before);
    const { direction: _fixed, ...editable } = input;
    const [row] = await tx
      .update(documents)
      .set({ ...editable, searchText: searchTextOf({ ...input, regNumber: before.regNumber }), version: before.version + 1, updatedAt: new Date(), updatedBy: actor.id })
      .where(eq(documents.id, id))
      .returning();
    await recordAudit(tx, { userId: actor.id, entityType: 'document', entityId: id, action: 'update', before: await auditable(tx, before), after: await auditable(tx, row), fields: AUDIT_FIELDS });
    return row;
  });
}

/**
 * Files are saved on their own, like a person's photo: they do not bump the version an open
 * edit form holds, but they are recorded in the document's history.
 */
async function changeFiles(db: Db, actor: User, id: number, change: (tx: Tx) => Promise<void>) {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const doc = await lockDocument(tx, id);
    if (!doc) throw new NotFoundError();
    const before = (await filesOf(tx, id)).map((f) => f.fileName);
    await change(tx);
    const after = (await filesOf(tx, id)).map((f) => f.fileName);
    await tx.update(documents).set({ updatedAt: new Date(), updatedBy: actor.id }).where(eq(documents.id, id));
    await recordAudit(tx, { userId: actor.id, entityType: 'document', entityId: id, action: 'update', before: { files: before }, after: { files: after }, fields: ['files'] });
  });
}

export async function addDocumentFiles(db: Db, actor: User, id: number, files: UploadedFile[]): Promise<void> {
  if (files.length === 0) throw new ValidationError({ files: { key: 'documents.file.choose' } });
  await changeFiles(db, actor, id, async (tx) => {
    // Checked under the document's row lock, so two uploads at once cannot pass it together.
    checkTotal(await filesTotal(tx, id), files);
    await insertFiles(tx, id, actor.id, files);
  });
}

export async function removeDocumentFile(db: Db, actor: User, id: number, fileId: number): Promise<void> {
  await changeFiles(db, actor, id, async (tx) => {
    if (!(await deleteFile(tx, id, fileId))) throw new NotFoundError();
  });
}

/** One outgoing copy of a mailing: its counterparty (names for the audit trail) and its text. */
export interface OutgoingCopy {
  organizationId: number | null;
  personId: number | null;
  organizationName: string | null;
  personName: string | null;
}

const snake = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), x]));

/** Rows per INSERT: few round trips, and each batch's JSON stays a few hundred KB. */
const BATCH_ROWS = 1000;

/**
 * Registers one outgoing document per copy inside the caller's transaction (a mailing's
 * registration): the numbers are taken at once, consecutive, in the copies' order, and the
 * documents and their audit entries are written in batches. The caller's rollback takes the
 * numbers back with everything else, so none is skipped or given twice.
 */
export async function registerOutgoingCopies(
  tx: Tx,
  actor: User,
  common: { regDate: string; subject: string; note: string },
  copies: OutgoingCopy[],
  onBatch?: (done: number) => void,
): Promise<{ id: number; regNumber: string }[]> {
  requireSecretary(actor);
  if (copies.length === 0) return [];
  const regYear = yearOf(common.regDate);
  const first = await allocateSeqs(tx, 'outgoing', regYear, copies.length);
  const out: { id: number; regNumber: string }[] = [];
  for (let start = 0; start < copies.length; start += BATCH_ROWS) {
    const batch = copies.slice(start, start + BATCH_ROWS);
    const values = batch.map((c, i) => {
      const regSeq = first + start + i;
      const regNumber = formatRegNumber('outgoing', regYear, regSeq);
      return {
        direction: 'outgoing' as const,
        regYear,
        regSeq,
        regNumber,
        regDate: common.regDate,
        subject: common.subject,
        note: common.note,
        organizationId: c.organizationId,
        personId: c.personId,
        searchText: searchTextOf({ regNumber, subject: common.subject, senderNumber: '' }),
        createdBy: actor.id,
        updatedBy: actor.id,
      };
    });
    // One JSON parameter per batch: a 1,000-row VALUES list built by the query builder held the
    // event loop for most of a second.
    const returned = rowsOf(
      await tx.execute(sql`
        insert into documents (direction, reg_year, reg_seq, reg_number, reg_date, subject, note, organization_id, person_id, search_text, created_by, updated_by)
        select 'outgoing', reg_year, reg_seq, reg_number, reg_date, subject, note, organization_id, person_id, search_text, created_by, updated_by
        from jsonb_to_recordset(${JSON.stringify(values.map(snake))}::jsonb)
          as x(reg_year int, reg_seq int, reg_number text, reg_date date, subject text, note text, organization_id int, person_id int, search_text text, created_by int, updated_by int)
        returning id, reg_number`),
      { id: 'number', reg_number: 'string' },
      'documents: outgoing batch',
    );
    // Paired by number, not by position: RETURNING's order is not a promise of PostgreSQL's.
    const idOf = new Map(returned.map((r) => [r.reg_number, Number(r.id)]));
    const rowsOut = values.map((v) => ({ id: idOf.get(v.regNumber)!, regNumber: v.regNumber }));
    const audits = rowsOut.map((r, i) => ({
      user_id: actor.id,
      entity_type: 'document',
      entity_id: r.id,
      action: 'create',
      changes: diff(null, { ...values[i], senderNumber: '', senderDate: null, summary: '', documentOrganization: batch[i].organizationName, documentPerson: batch[i].personName }, AUDIT_FIELDS),
    }));
    await tx.execute(sql`
      insert into audit_log (user_id, entity_type, entity_id, action, changes)
      select user_id, entity_type, entity_id, action, changes
      from jsonb_to_recordset(${JSON.stringify(audits)}::jsonb) as x(user_id int, entity_type text, entity_id int, action text, changes jsonb)`);
    out.push(...rowsOut);
    onBatch?.(out.length);
  }
  return out;
}

/** What other features read of the register (its spreadsheet export): through this service, never the queries. */
export { listDocuments, type DocumentCursor, type DocumentFilter } from './queries.js';
