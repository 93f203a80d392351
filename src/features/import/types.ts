import type { Address } from '../../db/schema/address.js';
import type { ImportFormat } from '../../db/schema/imports.js';
import type { GroupMark } from '../../db/schema/groups.js';
import type { Gender, PhoneKind } from '../../db/schema/persons.js';

/**
 * What an import row will become, as stored in import_rows.data (JSON). Outlook and vCard rows
 * are persons; this system's XML also carries organizations, groups and memberships. Keys are
 * the XML's own ids; Outlook rows name their organization instead.
 */
export interface Problem {
  code: string;
  detail?: string;
  /** For a plural message: how many things the problem is about (e.g. columns not loaded). */
  count?: number;
}

export interface PersonDraft {
  /** The XML id of the person (null for Outlook rows). */
  key: string | null;
  surname: string;
  firstName: string;
  patronymic: string;
  influence: number;
  jobTitle: string;
  gender: Gender;
  dativeOverride: string;
  note: string;
  /** The person's own postal address (empty fields: the organization's is used). */
  address: Address;
  phones: { kind: PhoneKind; number: string }[];
  emails: string[];
  archivedAt: string | null;
  /** The organization: an XML id, or a company name matched case- and Ё-insensitively. */
  organization: { key: string } | { name: string } | null;
  /** Outlook: the business address, which goes to the organization when it has none. */
  businessAddress: Address | null;
  /** Where the business address goes, as the preview found it (the commit decides again). */
  addressTo?: 'organization' | 'person' | 'same';
  /** Outlook: the web page, which becomes the organization's website when it has none. */
  webPage: string;
  /** Outlook: categories, which may become mailing groups. */
  categories: string[];
  /** A row that names only a company: the organization is matched or created, no person. */
  organizationOnly: boolean;
  /** Outlook company phones and e-mail for an organization-only row. */
  organizationPhones: string;
  organizationEmail: string;
}

export interface OrganizationDraft {
  key: string;
  name: string;
  shortName: string;
  /** INN (ИНН), digits only, valid or '' (organizations/model.ts). */
  inn: string;
  /** Reference list entries by name; missing ones are created. */
  region: string;
  activity: string;
  category: string;
  address: Address;
  phones: string;
  email: string;
  website: string;
  note: string;
  archivedAt: string | null;
}

export interface GroupDraft {
  key: string;
  name: string;
  description: string;
  mark: GroupMark;
  archivedAt: string | null;
}

export interface MembershipDraft {
  group: string;
  person: string | null;
  organization: string | null;
  reason: string;
  /** Registration numbers of the documents that justify the membership. */
  documents: string[];
  addedAt: string | null;
  removedAt: string | null;
}

export type RowData =
  | { kind: 'person'; person: PersonDraft }
  | { kind: 'organization'; organization: OrganizationDraft }
  | { kind: 'group'; group: GroupDraft }
  | { kind: 'membership'; membership: MembershipDraft };

/** A checked photo ready to store (thumbnail PNG and the original as it came). */
export interface PhotoDraft {
  thumbnail: Buffer;
  original: Buffer;
  originalType: string;
  width: number;
  height: number;
}

/** One row before it is stored: its data, source line, problems and photo. */
export interface DraftRow {
  line: number;
  data: RowData;
  problems: Problem[];
  photo: PhotoDraft | null;
}

/** A parsed file, ready for the preview. */
export interface ParsedImport {
  format: ImportFormat;
  encoding: string;
  delimiter: string | null;
  details: {
    headerLanguage?: string;
    versions?: string[];
    problems?: Problem[];
    counts?: Record<string, number>;
    /** Columns (or vCard properties) whose values are not loaded, with how many rows have one. */
    dropped?: { column: string; count: number }[];
    /** A spreadsheet: the sheet read, and the sheets there were to choose from. */
    sheet?: string;
    sheets?: string[];
    /** A spreadsheet: the format its header line matched ('outlook-csv', 'google-csv'…, 'csv': mapped). */
    layout?: string;
    /** A table read with the user's mapping; `pending`: awaiting one (the mapping step, no rows yet). */
    mapped?: boolean;
    pending?: boolean;
    /** Such a table's columns: header signature, headers, sample rows, and the mapping (current or guessed). */
    table?: { signature: string; headers: string[]; samples: string[][]; mapping: (string | null)[] };
    /** vCard 2.1: how text without a CHARSET was read ('windows-1250' by statistics…), and declared charsets. */
    charsets?: { charset: string; how: 'declared' | 'statistics'; count: number }[];
  };
  rows: DraftRow[];
}

export type PhoneInput = { kind: PhoneKind; number: string };
