import { EMPTY_ADDRESS } from './read/mapping.js';
import type { GroupDraft, MembershipDraft, OrganizationDraft, PersonDraft, RowData } from './types.js';
import { EMPTY_PERSON } from '../persons/model.js';

/**
 * Rows are stored without their empty values (most of a contact's fields are empty), which
 * halves what a large batch writes and reads back; `unpackRow` puts the defaults back.
 */
function isEmpty(v: unknown): boolean {
  return v === '' || v === null || v === undefined || v === false || v === 0 || (Array.isArray(v) && v.length === 0);
}

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const s = strip(x);
    if (isEmpty(s) || (typeof s === 'object' && !Array.isArray(s) && s !== null && Object.keys(s).length === 0)) continue;
    out[k] = s;
  }
  return out;
}

export function packRow(data: RowData): unknown {
  return strip(data);
}

const PERSON: PersonDraft = {
  key: null,
  ...EMPTY_PERSON,
  address: EMPTY_ADDRESS,
  phones: [],
  emails: [],
  archivedAt: null,
  organization: null,
  businessAddress: null,
  webPage: '',
  categories: [],
  organizationOnly: false,
  organizationPhones: '',
  organizationEmail: '',
};
const ORGANIZATION: OrganizationDraft = { key: '', name: '', shortName: '', inn: '', region: '', activity: '', category: '', address: EMPTY_ADDRESS, phones: '', email: '', website: '', note: '', archivedAt: null };
const GROUP: GroupDraft = { key: '', name: '', description: '', mark: 'none', archivedAt: null };
const MEMBERSHIP: MembershipDraft = { group: '', person: null, organization: null, reason: '', documents: [], addedAt: null, removedAt: null };

export function unpackRow(raw: unknown): RowData {
  const d = raw as Record<string, Record<string, unknown>> & { kind: RowData['kind'] };
  switch (d.kind) {
    case 'organization': {
      const o = d.organization ?? {};
      return { kind: 'organization', organization: { ...ORGANIZATION, ...o, address: { ...EMPTY_ADDRESS, ...(o.address as object) } } };
    }
    case 'group':
      return { kind: 'group', group: { ...GROUP, ...d.group } };
    case 'membership':
      return { kind: 'membership', membership: { ...MEMBERSHIP, ...d.membership } };
    default: {
      const p = d.person ?? {};
      return {
        kind: 'person',
        person: {
          ...PERSON,
          ...p,
          address: { ...EMPTY_ADDRESS, ...(p.address as object) },
          businessAddress: p.businessAddress ? { ...EMPTY_ADDRESS, ...(p.businessAddress as object) } : null,
        },
      };
    }
  }
}
