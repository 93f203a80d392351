import type { Address } from '../../db/schema/address.js';
import {
  MAIL_CATEGORIES,
  MAILING_KINDS,
  MAILING_STATES,
  type ExclusionReason,
  type MailCategory,
  type MailingKind,
  type MailingState,
  type PrintMode,
} from '../../db/schema/mailings.js';
import { ValidationError } from '../../lib/errors.js';
import { cleanText, normalizeKey } from '../../lib/text.js';
import { FormReader } from '../../lib/validate.js';
import { parseDate } from '../documents/dates.js';
import { ENVELOPE_FORMAT_IDS } from '../envelopes/formats.js';
import { LABEL_SHEET_IDS } from '../envelopes/labels.js';
import { addressLines } from '../envelopes/layout.js';
import type { Addressee } from '../envelopes/recipient.js';

/**
 * A mailing's own fields and rules (pure): the form, what a recipient is frozen as, which state
 * may follow which. Every path that writes a mailing (the form, the job, the bench) goes through here.
 */

export const SUBJECT_MAX = 1000;
/** What the print select offers: an envelope format, or a label sheet. */
export const PRINT_CHOICES = [...ENVELOPE_FORMAT_IDS.map((id) => `envelopes:${id}`), ...LABEL_SHEET_IDS.map((id) => `labels:${id}`)] as const;

export interface MailingInput {
  subject: string;
  kind: MailingKind;
  category: MailCategory;
  printMode: PrintMode;
  printFormat: string;
  mailDate: string;
}

/** Reads the mailing's form; throws ValidationError with every field error. */
export function readMailingForm(body: Record<string, unknown>): MailingInput {
  const f = new FormReader(body);
  const subject = f.text('subject', { required: true, max: SUBJECT_MAX });
  const kind = f.oneOf('kind', MAILING_KINDS, 'registered');
  const category = f.oneOf('category', MAIL_CATEGORIES, 'letter');
  const print = f.oneOf('print', PRINT_CHOICES, 'envelopes:DL');
  const rawDate = cleanText(body.mailDate);
  let mailDate = '';
  if (rawDate === '') f.errors.mailDate = { key: 'validation.required' };
  else mailDate = parseDate(rawDate) ?? '';
  if (rawDate !== '' && !mailDate) f.errors.mailDate = { key: 'documents.badDate' };
  if (!f.ok) throw new ValidationError(f.errors);
  const [printMode, printFormat] = print.split(':') as [PrintMode, string];
  return { subject, kind, category, printMode, printFormat, mailDate };
}

/** The print select's value for a stored mailing. */
export const printChoiceOf = (m: { printMode: string; printFormat: string }) => `${m.printMode}:${m.printFormat}`;

/** One recipient as stored: frozen at creation, whatever happens to the card later. */
export interface FrozenRecipient {
  personId: number | null;
  organizationId: number | null;
  displayName: string;
  sortKey: string;
  nameLines: string[];
  shortNameLines: string[] | null;
  address: Address | null;
  addressSource: 'person' | 'organization' | null;
  addressLine: string;
  postcode: string | null;
  ownerOrganizationId: number | null;
  ownerOrganizationName: string | null;
  excluded: boolean;
  exclusionReason: ExclusionReason | null;
}

/** The full address on one line, index first, as form 103 and the lists write it. */
export function addressLineOf(a: Address, source: 'person' | 'organization' | null): string {
  const lines = addressLines(a, source === 'person' ? 'flat' : 'office');
  return [a.addrIndex.trim(), ...lines.reverse()].filter(Boolean).join(', ');
}

/**
 * Freezes an addressee (envelopes' person → organization fallback, its address checks): left out
 * when archived, when on a blacklist (a group marked "warning"), or when no address reaches a post office.
 */
export function freezeRecipient(a: Addressee, blacklisted: boolean): FrozenRecipient {
  const reason: ExclusionReason | null = a.problem === 'archived' ? 'archived' : blacklisted ? 'blacklisted' : a.problem;
  return {
    personId: a.kind === 'person' ? a.id : null,
    organizationId: a.kind === 'organization' ? a.id : null,
    displayName: a.displayName,
    sortKey: normalizeKey(a.displayName),
    nameLines: a.nameLines,
    shortNameLines: a.shortNameLines,
    address: a.address,
    addressSource: a.addressSource,
    addressLine: a.address ? addressLineOf(a.address, a.addressSource) : '',
    postcode: a.address ? a.address.addrIndex.trim() || null : null,
    ownerOrganizationId: a.organizationId,
    ownerOrganizationName: a.organizationName,
    excluded: reason !== null,
    exclusionReason: reason,
  };
}

/** The addressee an envelope is printed for, from a frozen recipient that has an address. */
export function addresseeOf(r: { personId: number | null; organizationId: number | null; displayName: string; nameLines: string[]; shortNameLines: string[] | null; address: Address | null; addressSource: 'person' | 'organization' | null; ownerOrganizationId: number | null; ownerOrganizationName: string | null }): Addressee {
  return {
    kind: r.personId ? 'person' : 'organization',
    id: (r.personId ?? r.organizationId)!,
    displayName: r.displayName,
    nameLines: r.nameLines,
    shortNameLines: r.shortNameLines,
    address: r.address,
    addressSource: r.addressSource,
    organizationId: r.ownerOrganizationId,
    organizationName: r.ownerOrganizationName,
    problem: null,
  };
}

/** A recipient left out only by choice (blacklist, removed) can be taken back; one without an address cannot. */
export function canInclude(r: { excluded: boolean; exclusionReason: ExclusionReason | null; address: Address | null }): boolean {
  return r.excluded && (r.exclusionReason === 'blacklisted' || r.exclusionReason === 'removed') && r.address !== null;
}

/** The state a mailing moves on to, in order; `done` is the last. */
export function nextState(s: MailingState): MailingState | null {
  const i = MAILING_STATES.indexOf(s);
  return i >= 0 && i < MAILING_STATES.length - 1 ? MAILING_STATES[i + 1] : null;
}

/** Only registered letters carry a tracking number (ШПИ); simple letters are not tracked. */
export const isTracked = (kind: MailingKind) => kind !== 'simple';

/** The recipients may change while the mailing is a draft and not yet registered. */
export const isEditable = (m: { state: MailingState; registeredAt: Date | null }) => m.state === 'draft' && m.registeredAt === null;

/** A recipient as a row of form 103: the addressee (an organization's person under its name), address, numbers. */
export function form103ItemOf(r: { personId: number | null; displayName: string; ownerOrganizationName: string | null; addressLine: string; postcode: string | null; regNumber: string | null; tracking: string | null }) {
  return {
    name: r.personId && r.ownerOrganizationName ? `${r.ownerOrganizationName}, ${r.displayName}` : r.displayName,
    address: r.addressLine,
    postcode: r.postcode,
    declaredValue: null,
    outgoingNumber: r.regNumber,
    tracking: r.tracking,
  };
}
