import { sql, type SQL } from 'drizzle-orm';
import { normalizeKey } from '../../lib/text.js';

/**
 * What the locator matches a person by: names, the organization's names and e-mails, normalized
 * (lower case, Ё→Е). Built in JS on save, and in SQL when an organization is renamed.
 */
export const personSearchText = {
  of(p: { surname: string; firstName: string; patronymic: string }, org: { name: string; shortName: string } | null, emails: string[]): string {
    return normalizeKey([p.surname, p.firstName, p.patronymic, org?.name ?? '', org?.shortName ?? '', ...emails].join(' '));
  },
  /** The same in SQL, for persons `p` joined to organization `o` (emails from person_emails). */
  sql(p: SQL, o: SQL): SQL {
    const emails = sql`coalesce((select string_agg(e.email, ' ' order by e.position) from person_emails e where e.person_id = ${p}.id), '')`;
    const raw = sql`concat_ws(' ', ${p}.surname, ${p}.first_name, ${p}.patronymic, ${o}.name, ${o}.short_name, ${emails})`;
    return sql`btrim(regexp_replace(replace(lower(${raw}), 'ё', 'е'), '\\s+', ' ', 'g'))`;
  },
};
