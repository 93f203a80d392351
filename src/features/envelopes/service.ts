import type { Db } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';
import type { EnvelopeFormat } from './formats.js';
import { labelRun, type LabelSheet, type LabelView } from './labels.js';
import { envelopeView, senderBlock, type Block, type EnvelopeView } from './layout.js';
import { countGroupMembers, findGroup, groupMembers, organizationMember, personMember } from './queries.js';
import { toAddressee, type Addressee, type MemberRow } from './recipient.js';
import type { OwnOrganization } from './settings.js';

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
