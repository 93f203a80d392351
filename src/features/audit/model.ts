/**
 * What an audit entry compares, pure: the fields an entry may name and the diff of two versions
 * of a record. The audit service writes entries with it; the import's journal, writing them in
 * bulk, uses the same rule.
 */
export type Values = Record<string, unknown>;

/**
 * Every field an audit entry may name: the history tab shows each as `fields.<name>`, so each has a
 * label in both languages (test/foundation/i18n.test.ts); recordAudit accepts no other name.
 */
export const AUDITED_FIELDS = [
  // Organizations (and the sender's own organization in the envelope settings).
  'name', 'shortName', 'inn', 'regionId', 'activityId', 'categoryId', 'phones', 'email', 'website', 'note', 'defaultFormat',
  // Addresses.
  'addrIndex', 'addrCountry', 'addrRegion', 'addrDistrict', 'addrLocality', 'addrStreet', 'addrHouse', 'addrBuilding', 'addrOffice',
  // Persons.
  'surname', 'firstName', 'patronymic', 'influence', 'organizationId', 'jobTitle', 'gender', 'dativeOverride', 'emails', 'photo',
  // Mailing groups: a group's own fields, its members, and a card's memberships.
  'description', 'mark', 'members', 'groups',
  // Reference books.
  'code',
  // Documents.
  'direction', 'regNumber', 'regDate', 'senderNumber', 'senderDate', 'subject', 'summary', 'documentOrganization', 'documentPerson', 'files',
  // Mailings: their state, recipients (counts, who was added or left out) and tracking numbers.
  'mailingState', 'recipients', 'tracking',
  // User accounts (a password only as set or generated, never its value).
  'login', 'role', 'active', 'password',
  // Any card.
  'archivedAt', 'mergedFrom', 'mergedInto',
] as const;
export type AuditedField = (typeof AUDITED_FIELDS)[number];

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Two different strings or booleans never stringify alike; this is most fields of most
  // records, and an import compares some 300,000 of them.
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'string' || ta === 'boolean') && (tb === 'string' || tb === 'boolean')) return false;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** { field: [before, after] } for the listed fields that differ. */
export function diff(before: Values | null, after: Values | null, fields: readonly AuditedField[]): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const f of fields) {
    const a = before ? before[f] : null;
    const b = after ? after[f] : null;
    if (!same(a, b)) out[f] = [a ?? null, b ?? null];
  }
  return out;
}
