import type { Db } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';
import { timeSlicer } from '../../lib/limit.js';
import type { EnvelopeFormat } from './formats.js';
import { labelRun, type LabelSheet, type LabelView } from './labels.js';
import { envelopeView, senderBlock, type Block, type EnvelopeView } from './layout.js';
import { countGroupMembers, findGroup, groupMembers, membersByIds, organizationMember, personMember } from './queries.js';
import { toAddressee, type Addressee, type MemberRow } from './recipient.js';
import type { OwnOrganization } from './sender.js';

export type TargetKind = 'group' | 'person' | 'organization';

/** Whom a print run is for: a group's members, or one person or organization from its card. */
export interface PrintTarget {
  kind: TargetKind;
  id: number;
  name: string;
  /** The page the print run came from. */
  backUrl: string;
  rows: MemberRow[];
}

export async function loadTarget(db: Db, kind: TargetKind, id: number): Promise<PrintTarget> {
  if (kind === 'group') {
    const group = await findGroup(db, id);
    if (!group) throw new NotFoundError();
    return { kind, id, name: group.name, backUrl: `/groups/${id}`, rows: await groupMembers(db, id) };
  }
  const row = kind === 'person' ? await personMember(db, id) : await organizationMember(db, id);
  if (!row) throw new NotFoundError();
  const name = row.person ? [row.person.surname, row.person.firstName, row.person.patronymic].filter(Boolean).join(' ') : row.organization!.name;
  return { kind, id, name, backUrl: `/${kind === 'person' ? 'persons' : 'organizations'}/${id}`, rows: [row] };
}

/**
 * A group's name and its current memberships (each at most one envelope), read without loading
 * them: a PDF too big for a request goes to a job at once, and the job reads the members itself.
 */
export async function groupSize(db: Db, id: number): Promise<{ name: string; members: number }> {
  const group = await findGroup(db, id);
  if (!group) throw new NotFoundError();
  return { name: group.name, members: await countGroupMembers(db, id) };
}

/** Splits addressees into those who get an envelope and those listed as needing a fix. */
export function sortOut(rows: MemberRow[]): { printable: Addressee[]; skipped: Addressee[] } {
  const printable: Addressee[] = [];
  const skipped: Addressee[] = [];
  for (const row of rows) {
    const a = toAddressee(row);
    (a.problem ? skipped : printable).push(a);
  }
  return { printable, skipped };
}

export interface EnvelopeRun {
  envelopes: EnvelopeView[];
  skipped: Addressee[];
  sender: Block | null;
}

export function prepareEnvelopes(rows: MemberRow[], format: EnvelopeFormat, own: OwnOrganization): EnvelopeRun {
  const { printable, skipped } = sortOut(rows);
  return {
    envelopes: printable.map((a) => envelopeView(a, format.recipient, format.maxPt)),
    skipped,
    // The return address keeps its DL size: on a large envelope the recipient stands out.
    sender: senderBlock(own, format.sender),
  };
}

export function prepareLabels(rows: MemberRow[], sheet: LabelSheet): { labels: LabelView[]; skipped: Addressee[] } {
  const { printable, skipped } = sortOut(rows);
  return { labels: labelRun(printable, sheet), skipped };
}

/**
 * The addressees of an explicit list of persons and organizations (each with its address resolved
 * as for any envelope), for callers that keep their own list of recipients (a mailing).
 */
export async function addresseesOf(db: Db, ids: { personIds: number[]; organizationIds: number[] }): Promise<Addressee[]> {
  return addresseesInTurns(await membersByIds(db, ids));
}

/**
 * Addressees of many rows without holding the event loop: declining thousands of surnames takes
 * a noticeable fraction of a second, so the loop yields every few milliseconds.
 */
async function addresseesInTurns(rows: MemberRow[]): Promise<Addressee[]> {
  const slicer = timeSlicer();
  const out: Addressee[] = [];
  for (const row of rows) {
    out.push(toAddressee(row));
    if (slicer.due()) await slicer.yield();
  }
  return out;
}

/** A group's current members as addressees (person → organization fallback, with their problems). */
export async function groupAddressees(db: Db, groupId: number): Promise<Addressee[]> {
  return addresseesInTurns(await groupMembers(db, groupId));
}

/**
 * Envelopes for addressees already chosen and checked by the caller (a mailing's frozen list),
 * optionally with a small note on each (the outgoing number): the same faces as a group's run.
 */
export function envelopesFor(addressees: Addressee[], format: EnvelopeFormat, own: OwnOrganization, note?: (a: Addressee, i: number) => string | null): Omit<EnvelopeRun, 'skipped'> {
  return {
    envelopes: addressees.map((a, i) => ({ ...envelopeView(a, format.recipient, format.maxPt), note: note?.(a, i) ?? null })),
    sender: senderBlock(own, format.sender),
  };
}
