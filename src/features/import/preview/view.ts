import type { Db } from '../../../db/client.js';
import type { Address } from '../../../db/schema/address.js';
import { dictionaries } from '../../../i18n/index.js';
import type { Translate } from '../../../i18n/index.js';
import { normalizeKey } from '../../../lib/text.js';
import { organizationsByName } from './match.js';
import type { Problem, RowData } from '../types.js';

/**
 * What the preview shows about rows, beyond what they store: which organization names already
 * exist, and problems and addresses as text.
 */
export async function existingOrganizationNames(db: Db, rows: { data: unknown }[]): Promise<Set<string>> {
  const names: string[] = [];
  for (const r of rows) {
    const d = r.data as RowData;
    if (d.kind === 'person' && d.person.organization && 'name' in d.person.organization) names.push(d.person.organization.name);
    if (d.kind === 'organization') names.push(d.organization.name);
  }
  return new Set((await organizationsByName(db, names)).keys());
}

/** A row problem in the reader's language; an unknown code still says something. */
export function problemText(t: Translate, p: Problem): string {
  const key = `import.problem.${p.code}`;
  if (!(key in dictionaries.ru)) return t('import.problem.unknown', { detail: [p.code, p.detail].filter(Boolean).join(': ') });
  let detail = p.detail ?? '';
  // "number: mobile, work, fax" — the kinds in the reader's words.
  if (p.code === 'phone_kinds_merged') detail = detail.replace(/: ([a-z, ]+)$/, (_, kinds: string) => `: ${kinds.split(', ').map((k) => t(`phoneKinds.${k}`)).join(', ')}`);
  return t(key, { detail, ...(p.count !== undefined ? { count: p.count } : {}) });
}

/** An address on one line, in reading order. */
export function addressText(a: Address | null | undefined): string {
  if (!a) return '';
  return [a.addrIndex, a.addrCountry, a.addrRegion, a.addrDistrict, a.addrLocality, a.addrStreet, a.addrHouse, a.addrBuilding, a.addrOffice].filter(Boolean).join(', ');
}

export { normalizeKey };
