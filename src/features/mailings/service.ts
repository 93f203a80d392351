import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { mailingFiles, mailingRecipients, mailings, type Mailing, type MailingState } from '../../db/schema/mailings.js';
import type { User } from '../../db/schema/users.js';
import { users } from '../../db/schema/users.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { requireSecretary } from '../../lib/access.js';
import { timeSlicer } from '../../lib/limit.js';
import { recordAudit } from '../audit/service.js';
import { registerOutgoingCopies } from '../documents/service.js';
import type { UploadedFile } from '../documents/files.js';
import { addresseesOf, groupAddressees } from '../envelopes/service.js';
import type { Addressee } from '../envelopes/recipient.js';
import type { Selection } from '../../lib/search/selection.js';
import { canInclude, freezeRecipient, isEditable, isTracked, nextState, type FrozenRecipient, type MailingInput } from './model.js';
import * as q from './queries.js';
import { normalizeTracking, parseTrackingColumn, trackingProblem } from './tracking.js';

/** Where the recipients come from: a mailing group, or a /contacts selection frozen at creation. */
export type MailingSourceInput = { groupId: number } | { selection: Selection };

/** Called as work advances (a job's progress bar): done of total, and the phase's i18n key. */
export type Progress = (done: number, total: number, phase: string) => void;

const AUDIT_FIELDS = ['subject', 'mailingState', 'recipients', 'tracking', 'files'] as const;

async function audit(tx: Db | Tx, actor: User, id: number, action: 'create' | 'update', before: Record<string, unknown> | null, after: Record<string, unknown>) {
  await recordAudit(tx, { userId: actor.id, entityType: 'mailing', entityId: id, action, before, after, fields: AUDIT_FIELDS });
}

/** The account a job runs for (its owner), with their rights as they are now. */
export async function jobActor(db: Db, id: number): Promise<User> {
  const [u] = await db.select().from(users).where(eq(users.id, id));
  if (!u || !u.active) throw new ForbiddenError();
  return u;
}

/** The source's addressees, each frozen with its address or the reason it is left out. */
async function freezeSource(db: Db, source: MailingSourceInput): Promise<{ recipients: FrozenRecipient[]; fingerprint: string }> {
  let addressees: Addressee[];
  let fingerprint = '';
  if ('groupId' in source) {
    const group = await q.findGroup(db, source.groupId);
    if (!group) throw new ValidationError({ groupId: { key: 'validation.choose' } });
    if (group.archivedAt) throw new ValidationError({ groupId: { key: 'groups.archivedGroup' } });
    [addressees, fingerprint] = await Promise.all([groupAddressees(db, group.id), q.groupFingerprint(db, group.id)]);
    if (addressees.length === 0) throw new ValidationError({ groupId: { key: 'mailings.emptyGroup', params: { name: group.name } } });
  } else {
    const ids = await q.selectionPersonIds(db, source.selection);
    if (ids.length === 0) throw new ValidationError({ source: { key: 'mailings.emptySelection' } });
    addressees = await addresseesOf(db, { personIds: ids, organizationIds: [] });
  }
  const black = await q.blacklisted(db);
  const recipients: FrozenRecipient[] = [];
  const slicer = timeSlicer();
  for (const a of addressees) {
    recipients.push(freezeRecipient(a, a.kind === 'person' ? black.persons.has(a.id) || (a.organizationId !== null && black.organizations.has(a.organizationId)) : black.organizations.has(a.id)));
    if (slicer.due()) await slicer.yield();
  }
  if (!recipients.some((r) => !r.excluded)) {
    const key = recipients.every((r) => r.exclusionReason === 'blacklisted') ? 'mailings.onlyBlacklisted' : 'mailings.nobodyAddressed';
    throw new ValidationError({ [('groupId' in source ? 'groupId' : 'source')]: { key, params: { count: recipients.length } } });
  }
  return { recipients, fingerprint };
}

/**
 * Creates a draft with its recipients frozen, in one transaction. Refused with a field error (and
 * nothing written) for an empty group or selection, or one where nobody can be written to.
 */
export async function createMailing(db: Db, actor: User, input: MailingInput, source: MailingSourceInput, progress?: Progress): Promise<Mailing> {
  requireSecretary(actor);
  progress?.(0, 0, 'mailings.job.reading');
  const { recipients, fingerprint } = await freezeSource(db, source);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(mailings)
      .values({
        ...input,
        source: 'groupId' in source ? 'group' : 'selection',
        groupId: 'groupId' in source ? source.groupId : null,
        selection: 'selection' in source ? source.selection : null,
        sourceFingerprint: fingerprint,
        createdBy: actor.id,
        updatedBy: actor.id,
      })
      .returning();
    await q.insertRecipients(tx, row.id, recipients, (done) => progress?.(done, recipients.length, 'mailings.job.freezing'));
    await audit(tx, actor, row.id, 'create', null, { subject: row.subject, mailingState: row.state, recipients: recipients.filter((r) => !r.excluded).length });
    return row;
  });
}

/** Locks the mailing and checks the version the form was opened with (a stale form: 409). */
async function locked(tx: Tx, id: number, version: number): Promise<Mailing> {
  const m = await q.lockMailing(tx, id);
  if (!m) throw new NotFoundError();
  if (m.version !== version) throw new ConflictError('mailings.stale');
  return m;
}

async function bump(tx: Tx, actor: User, m: Mailing, set: Partial<Mailing> = {}): Promise<Mailing> {
  const [row] = await tx
    .update(mailings)
    .set({ ...set, version: m.version + 1, updatedAt: new Date(), updatedBy: actor.id })
    .where(eq(mailings.id, m.id))
    .returning();
  return row;
}

function requireEditable(m: Mailing) {
  if (!isEditable(m)) throw new ValidationError({ recipients: { key: m.registeredAt ? 'mailings.registeredFrozen' : 'mailings.notDraft' } });
}

/** Freezes the group's members again (a draft whose group changed); removals by hand are kept. */
export async function refreshRecipients(db: Db, actor: User, id: number, version: number): Promise<{ before: number; after: number }> {
  requireSecretary(actor);
  const current = await q.findMailing(db, id);
  if (!current) throw new NotFoundError();
  if (!current.groupId) throw new ValidationError({ recipients: { key: 'mailings.notFromGroup' } });
  requireEditable(current);
  const { recipients, fingerprint } = await freezeSource(db, { groupId: current.groupId });
  return db.transaction(async (tx) => {
    const m = await locked(tx, id, version);
    requireEditable(m);
    const old = await q.recipientsOf(tx, id);
    const removed = new Set(old.filter((r) => r.exclusionReason === 'removed').map((r) => `${r.personId}:${r.organizationId}`));
    const included = new Set(old.filter((r) => !r.excluded).map((r) => `${r.personId}:${r.organizationId}`));
    for (const r of recipients) {
      const key = `${r.personId}:${r.organizationId}`;
      if (!r.excluded && removed.has(key)) Object.assign(r, { excluded: true, exclusionReason: 'removed' });
      // A blacklisted member the user chose to include stays included.
      else if (r.exclusionReason === 'blacklisted' && included.has(key)) Object.assign(r, { excluded: false, exclusionReason: null });
    }
    await q.deleteRecipients(tx, id);
    await q.insertRecipients(tx, id, recipients);
    await bump(tx, actor, m, { sourceFingerprint: fingerprint });
    const before = old.filter((r) => !r.excluded).length;
    const after = recipients.filter((r) => !r.excluded).length;
    await audit(tx, actor, id, 'update', { recipients: before }, { recipients: after });
    return { before, after };
  });
}

/** Leaves a recipient out (reason "removed") or takes a left-out one back, while a draft. */
export async function setRecipientIncluded(db: Db, actor: User, id: number, version: number, recipientId: number, include: boolean): Promise<void> {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const m = await locked(tx, id, version);
    requireEditable(m);
    const r = await q.findRecipient(tx, id, recipientId);
    if (!r) throw new NotFoundError();
    if (include && !canInclude(r)) throw new ValidationError({ recipients: { key: 'mailings.cannotInclude' } });
    if (!include && r.excluded) return;
    await tx
      .update(mailingRecipients)
      .set(include ? { excluded: false, exclusionReason: null } : { excluded: true, exclusionReason: 'removed' })
      .where(eq(mailingRecipients.id, r.id));
    await bump(tx, actor, m);
    await audit(tx, actor, id, 'update', { recipients: null }, { recipients: `${include ? '+' : '−'} ${r.displayName}` });
  });
}

/** Adds a person or an organization by hand, with their address frozen now. */
export async function addRecipient(db: Db, actor: User, id: number, version: number, who: { personId: number } | { organizationId: number }): Promise<string> {
  requireSecretary(actor);
  const [a] = await addresseesOf(db, 'personId' in who ? { personIds: [who.personId], organizationIds: [] } : { personIds: [], organizationIds: [who.organizationId] });
  const field = 'personId' in who ? 'personId' : 'organizationId';
  if (!a) throw new ValidationError({ [field]: { key: 'validation.choose' } });
  const frozen = freezeRecipient(a, false);
  if (frozen.excluded) throw new ValidationError({ [field]: { key: `mailings.addUnusable`, params: { name: a.displayName, reason: frozen.exclusionReason! } } });
  await db.transaction(async (tx) => {
    const m = await locked(tx, id, version);
    requireEditable(m);
    const existing = (await q.recipientsOf(tx, id)).find((r) => r.personId === frozen.personId && r.organizationId === frozen.organizationId);
    if (existing && !existing.excluded) throw new ValidationError({ [field]: { key: 'mailings.alreadyRecipient', params: { name: a.displayName } } });
    if (existing) await tx.update(mailingRecipients).set(frozen).where(eq(mailingRecipients.id, existing.id));
    else await q.insertRecipients(tx, id, [frozen]);
    await bump(tx, actor, m);
    await audit(tx, actor, id, 'update', { recipients: null }, { recipients: `+ ${a.displayName}` });
  });
  return a.displayName;
}

/**
 * Registers an outgoing document for every included recipient, in one transaction: consecutive
 * numbers in the recipients' order, each linked to its recipient. A second registration is
 * refused (409) and changes nothing, so no number is given twice or skipped.
 */
export async function registerMailing(db: Db, actor: User, id: number, version: number, progress?: Progress): Promise<{ count: number; first: string; last: string }> {
  requireSecretary(actor);
  return db.transaction(async (tx) => {
    const m = await q.lockMailing(tx, id);
    if (!m) throw new NotFoundError();
    if (m.registeredAt) throw new ConflictError('mailings.alreadyRegistered');
    if (m.version !== version) throw new ConflictError('mailings.stale');
    const todo = await q.unregisteredRecipients(tx, id);
    if (todo.length === 0) throw new ValidationError({ recipients: { key: 'mailings.nobodyToRegister' } });
    progress?.(0, todo.length, 'mailings.job.registering');
    const docs = await registerOutgoingCopies(
      tx,
      actor,
      { regDate: m.mailDate, subject: m.subject, note: '' },
      todo.map((r) => ({ personId: r.personId, organizationId: r.organizationId, personName: r.personId ? r.displayName : null, organizationName: r.organizationId ? r.displayName : null })),
      (done) => progress?.(done, todo.length, 'mailings.job.registering'),
    );
    await q.linkDocuments(tx, todo.map((r, i) => ({ recipientId: r.id, documentId: docs[i].id })));
    await bump(tx, actor, m, { registeredAt: new Date(), registeredBy: actor.id });
    const first = docs[0].regNumber;
    const last = docs[docs.length - 1].regNumber;
    await audit(tx, actor, id, 'update', { recipients: null }, { recipients: `${first} … ${last} (${docs.length})` });
    return { count: docs.length, first, last };
  });
}

/** Moves the mailing one state on; handing to the post office needs the register's numbers. */
export async function advanceState(db: Db, actor: User, id: number, version: number, to: MailingState): Promise<Mailing> {
  requireSecretary(actor);
  return db.transaction(async (tx) => {
    const m = await locked(tx, id, version);
    if (nextState(m.state) !== to) throw new ValidationError({ state: { key: 'mailings.badState', params: { state: to } } });
    if ((to === 'handed' || to === 'done') && !m.registeredAt) throw new ValidationError({ state: { key: 'mailings.registerFirst' } });
    const row = await bump(tx, actor, m, { state: to });
    await audit(tx, actor, id, 'update', { mailingState: m.state }, { mailingState: to });
    return row;
  });
}

/** One recipient's tracking number (empty clears it); checked by its check digit. */
export async function setTracking(db: Db, actor: User, id: number, version: number, recipientId: number, raw: string): Promise<void> {
  requireSecretary(actor);
  const text = raw.trim();
  const field = `tracking.${recipientId}`;
  const problem = text ? trackingProblem(text) : null;
  if (problem) throw new ValidationError({ [field]: { key: `mailings.tracking.${problem}`, params: { value: text.slice(0, 40) } } });
  const number = text ? normalizeTracking(text) : null;
  await db.transaction(async (tx) => {
    const m = await locked(tx, id, version);
    if (!isTracked(m.kind)) throw new ValidationError({ [field]: { key: 'mailings.tracking.simple' } });
    const r = await q.findRecipient(tx, id, recipientId);
    if (!r || r.excluded) throw new NotFoundError();
    if (number && (await q.trackingsTaken(tx, [number], [r.id])).size) throw new ValidationError({ [field]: { key: 'mailings.tracking.taken', params: { value: number } } });
    await q.setTrackings(tx, [{ id: r.id, tracking: number }]);
    await bump(tx, actor, m);
    await audit(tx, actor, id, 'update', { tracking: r.tracking }, { tracking: `${r.displayName}: ${number ?? '—'}` });
  });
}

/**
 * A column pasted from the post office's receipt: one number per line, filling the included
 * recipients in their order from the first. Any bad line refuses the whole paste (named by line).
 */
export async function pasteTracking(db: Db, actor: User, id: number, version: number, text: string): Promise<number> {
  requireSecretary(actor);
  const column = parseTrackingColumn(text);
  if (column.count === 0) throw new ValidationError({ paste: { key: 'mailings.tracking.emptyPaste' } });
  const bad = column.invalid[0];
  if (bad) throw new ValidationError({ paste: { key: `mailings.tracking.line.${bad.reason}`, params: { line: bad.line, first: bad.firstLine ?? 0, value: bad.text.slice(0, 40) } } });
  const numbers = column.numbers;
  return db.transaction(async (tx) => {
    const m = await locked(tx, id, version);
    if (!isTracked(m.kind)) throw new ValidationError({ paste: { key: 'mailings.tracking.simple' } });
    const order = await q.includedInOrder(tx, id);
    if (numbers.length > order.length) throw new ValidationError({ paste: { key: 'mailings.tracking.tooMany', params: { count: numbers.length, recipients: order.length } } });
    const targets = order.slice(0, numbers.length);
    const taken = await q.trackingsTaken(tx, numbers, targets.map((t) => t.id));
    if (taken.size) throw new ValidationError({ paste: { key: 'mailings.tracking.taken', params: { value: [...taken][0] } } });
    await q.setTrackings(tx, targets.map((t, i) => ({ id: t.id, tracking: numbers[i] })));
    await bump(tx, actor, m);
    await audit(tx, actor, id, 'update', { tracking: null }, { tracking: `${numbers.length}` });
    return numbers.length;
  });
}

/** The letter itself (one file, replaced by the next), stored like a document's files. */
export async function setLetter(db: Db, actor: User, id: number, file: UploadedFile): Promise<void> {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const m = await q.lockMailing(tx, id);
    if (!m) throw new NotFoundError();
    const before = await q.letterOf(tx, id);
    await tx.delete(mailingFiles).where(eq(mailingFiles.mailingId, id));
    await tx.insert(mailingFiles).values({ mailingId: id, ...file, createdBy: actor.id });
    await audit(tx, actor, id, 'update', { files: before ? [before.fileName] : [] }, { files: [file.fileName] });
  });
}

export async function removeLetter(db: Db, actor: User, id: number): Promise<void> {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const m = await q.lockMailing(tx, id);
    if (!m) throw new NotFoundError();
    const before = await q.letterOf(tx, id);
    if (!before) return;
    await tx.delete(mailingFiles).where(eq(mailingFiles.mailingId, id));
    await audit(tx, actor, id, 'update', { files: [before.fileName] }, { files: [] });
  });
}
