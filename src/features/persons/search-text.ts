import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import { personSearchTextOf } from './model.js';

/**
 * What the locator matches a person by: names, the organization's names and e-mails, normalized
 * (lower case, Ё→Е). Built in JS on save (persons/model.ts personSearchTextOf), and in SQL when an
 * organization's names change.
 */
export const personSearchText = {
  of: personSearchTextOf,
  /** The same in SQL, for persons `p` joined to organization `o` (emails from person_emails). */
  sql(p: SQL, o: SQL): SQL {
    const emails = sql`coalesce((select string_agg(e.email, ' ' order by e.position) from person_emails e where e.person_id = ${p}.id), '')`;
    const raw = sql`concat_ws(' ', ${p}.surname, ${p}.first_name, ${p}.patronymic, ${o}.name, ${o}.short_name, ${emails})`;
    return sql`btrim(regexp_replace(replace(lower(${raw}), 'ё', 'е'), '\\s+', ' ', 'g'))`;
  },
};

/**
 * The statement that refreshes the search text of the persons of these organizations: an
 * organization's name and short name are part of it. Every path that changes them runs it: the
 * form, the duplicates' merge, the import filling a short name, the undo restoring one.
 */
export function refreshPersonsSearchTextSql(organizationIds: number[]): SQL {
  return sql`
    update ${persons} p set search_text = ${personSearchText.sql(sql`p`, sql`o`)}
    from ${organizations} o where o.id = p.organization_id and o.id = any(${`{${organizationIds.map((n) => Math.trunc(n)).join(",")}}`}::int[])`;
}

/** Refreshes the search text of the persons of an organization whose names changed. */
export async function refreshPersonsSearchText(tx: Tx, organizationId: number) {
  await tx.execute(refreshPersonsSearchTextSql([organizationId]));
}
