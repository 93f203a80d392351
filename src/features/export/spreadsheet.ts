import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { ADDRESS_FIELDS, type Address, type AddressField } from '../../db/schema/address.js';
import type { Translate } from '../../i18n/index.js';
import { ahead } from '../../lib/ahead.js';
import type { RowOf } from '../../db/rows.js';
import { listDocuments, type DocumentCursor, type DocumentFilter } from '../documents/service.js';
import { postalAddress } from '../persons/model.js';
import { bounds, contactsOfPersons, keyset } from './queries.js';
import { ScopeSql, type ExportScope } from './scope.js';
import { dateCell, type Cell, type Column, type Table } from './table.js';

/**
 * The spreadsheet exports (.xlsx and CSV): the /contacts selection or a group as one row per
 * person with the organization's fields, and the document register as one row per document.
 * The contacts cover what the XML export of the same query covers (ScopeSql, one scope for every
 * export); organizations of the scope none of whose persons is in the file get a row of their own,
 * so a group's member organizations and a selection's organizations without persons are not lost.
 */
/**
 * Rows per database read. Small on purpose: a read's rows live until they are written, and 2,000
 * of them outlived two young-generation collections, were promoted and piled up as old garbage
 * (the server's heap grew by 270 MB over a 100,000-person export before a major collection); 250
 * die young.
 */
const BATCH = 250;

const ADDRESS_SQL = (alias: string, prefix: string) =>
  sql.raw(
    ADDRESS_FIELDS.map((f) => `${alias}.${f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} as "${prefix}${f}"`).join(', '),
  );

type Prefixed<P extends string> = { [K in keyof Address as `${P}${K}`]: string | null };

/** What ORGANIZATION_SQL and ADDRESS_SQL read, as rowsOf checks it (null where no organization is joined). */
const ORGANIZATION_SHAPE = {
  orgName: 'string?',
  orgShortName: 'string?',
  orgRegion: 'string?',
  orgActivity: 'string?',
  orgCategory: 'string?',
  orgPhones: 'string?',
  orgEmail: 'string?',
  orgWebsite: 'string?',
  orgArchived: 'boolean?',
} as const;
type OrganizationColumns = RowOf<typeof ORGANIZATION_SHAPE>;
const prefixedShape = <P extends string>(prefix: P) =>
  Object.fromEntries(ADDRESS_FIELDS.map((f) => [`${prefix}${f}`, 'string?'])) as { [K in AddressField as `${P}${K}`]: 'string?' };

const ORGANIZATION_SQL = (o: string) =>
  sql.raw(`${o}.name as "orgName", ${o}.short_name as "orgShortName", r.name as "orgRegion", a.name as "orgActivity", c.name as "orgCategory",
    ${o}.phones as "orgPhones", ${o}.email as "orgEmail", ${o}.website as "orgWebsite", ${o}.archived_at is not null as "orgArchived"`);
const REFERENCES_SQL = (o: string) =>
  sql.raw(`left join regions r on r.id = ${o}.region_id left join activities a on a.id = ${o}.activity_id left join categories c on c.id = ${o}.category_id`);

function personBatches(db: Db, scope: ScopeSql) {
  return keyset(
    db,
    scope,
    (after: SQL) => sql`
    select x.id, x.sort_key as "sortKey", x.surname, x.first_name as "firstName", x.patronymic, x.job_title as "jobTitle", x.note,
      x.archived_at is not null as archived, ${ADDRESS_SQL('x', 'p_')}, ${ORGANIZATION_SQL('po')}, ${ADDRESS_SQL('po', 'o_')}
    from persons x left join organizations po on po.id = x.organization_id ${REFERENCES_SQL('po')}
    where ${scope.person(sql`x`, sql`po`)} and ${after}
    order by x.sort_key, x.id`,
    {
      id: 'number',
      sortKey: 'string',
      surname: 'string',
      firstName: 'string',
      patronymic: 'string',
      jobTitle: 'string',
      note: 'string',
      archived: 'boolean',
      ...prefixedShape('p_'),
      ...ORGANIZATION_SHAPE,
      ...prefixedShape('o_'),
    },
    'spreadsheet: persons',
    BATCH,
  );
}

/** Organizations of the scope none of whose persons is in the file. */
function organizationBatches(db: Db, scope: ScopeSql) {
  return keyset(
    db,
    scope,
    (after: SQL) => sql`
    select x.id, x.sort_key as "sortKey", x.note, ${ORGANIZATION_SQL('x')}, ${ADDRESS_SQL('x', 'o_')}
    from organizations x ${REFERENCES_SQL('x')}
    where ${scope.organization(sql`x`)}
      and not exists (select 1 from persons sp left join organizations spo on spo.id = sp.organization_id where sp.organization_id = x.id and ${scope.person(sql`sp`, sql`spo`)})
      and ${after}
    order by x.sort_key, x.id`,
    { id: 'number', sortKey: 'string', note: 'string', ...ORGANIZATION_SHAPE, ...prefixedShape('o_') },
    'spreadsheet: organizations',
    BATCH,
  );
}

function addressOf<P extends string>(row: Prefixed<P>, prefix: P): Address | null {
  const a = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, row[`${prefix}${f}` as keyof Prefixed<P>] ?? ''])) as Address;
  return row[`${prefix}addrIndex` as keyof Prefixed<P>] === null ? null : a;
}

/** The contact columns, headers in the user's language. */
export function contactColumns(t: Translate): Column[] {
  return [
    { header: t('fields.surname'), width: 18 },
    { header: t('fields.firstName'), width: 14 },
    { header: t('fields.patronymic'), width: 18 },
    { header: t('fields.jobTitle'), width: 24 },
    { header: t('fields.phones'), width: 28 },
    { header: t('fields.email'), width: 28 },
    { header: t('export.col.organization'), width: 36 },
    { header: t('fields.shortName'), width: 20 },
    { header: t('fields.regionId'), width: 18 },
    { header: t('fields.activityId'), width: 20 },
    { header: t('fields.categoryId'), width: 16 },
    { header: t('export.col.organizationPhones'), width: 24 },
    { header: t('export.col.organizationEmail'), width: 26 },
    { header: t('fields.website'), width: 22 },
    ...ADDRESS_FIELDS.map((f) => ({ header: t(`fields.${f}`), width: ADDRESS_WIDTHS[f] })),
    { header: t('fields.note'), width: 40 },
    { header: t('fields.archivedAt'), width: 10 },
  ];
}

const ADDRESS_WIDTHS: Record<(typeof ADDRESS_FIELDS)[number], number> = {
  addrIndex: 8, addrCountry: 12, addrRegion: 20, addrDistrict: 16, addrLocality: 18, addrStreet: 24, addrHouse: 7, addrBuilding: 9, addrOffice: 9,
};

/** The postal address columns: the person's own address, else the organization's (persons' rule). */
function addressCells(a: Address | null): Cell[] {
  return ADDRESS_FIELDS.map((f) => a?.[f] || null);
}

export async function contactsTable(db: Db, scope: ExportScope, t: Translate): Promise<Table> {
  const sqlScope = new ScopeSql(scope, await bounds(db));
  const kinds: Record<string, string> = Object.fromEntries(['work', 'mobile', 'fax', 'home'].map((k) => [k, t(`phoneKinds.${k}`)]));
  const archived = t('common.archived');
  const text = (v: string | null | undefined) => v || null;
  const organizationCells = (r: OrganizationColumns): Cell[] => [
    text(r.orgName), text(r.orgShortName), text(r.orgRegion), text(r.orgActivity), text(r.orgCategory), text(r.orgPhones), text(r.orgEmail), text(r.orgWebsite),
  ];
  async function* withContacts() {
    for await (const batch of personBatches(db, sqlScope)) yield { batch, ...(await contactsOfPersons(db, batch.map((p) => Number(p.id)))) };
  }
  async function* batches(): AsyncGenerator<Cell[][]> {
    // Not read ahead: a page read while the last one waits for the .xlsx writer lived long enough
    // to be promoted (peak RSS 288–306 MB with it, 278–282 MB without, at the same speed).
    for await (const { batch, phones, emails } of withContacts()) {
      yield batch.map((p) => {
        const id = Number(p.id);
        const phoneList = (phones.get(id) ?? []).map((ph) => `${ph.number} (${kinds[ph.kind] ?? ph.kind})`).join(', ');
        const address = postalAddress(addressOf(p, 'p_')!, addressOf(p, 'o_'));
        return [
          text(p.surname), text(p.firstName), text(p.patronymic), text(p.jobTitle), text(phoneList), text((emails.get(id) ?? []).join(', ')),
          ...organizationCells(p), ...addressCells(address), text(p.note), p.archived || p.orgArchived ? archived : null,
        ];
      });
    }
    for await (const batch of ahead(organizationBatches(db, sqlScope))) {
      yield batch.map((o) => [
        null, null, null, null, null, null,
        ...organizationCells(o), ...addressCells(postalAddress(addressOf(o, 'o_')!, null)), text(o.note), o.orgArchived ? archived : null,
      ]);
    }
  }
  return { sheet: t('export.sheet.contacts'), columns: contactColumns(t), batches: batches() };
}

/** The register's columns, as the register shows them. */
export function documentColumns(t: Translate): Column[] {
  return [
    { header: t('fields.direction'), width: 12 },
    { header: t('fields.regNumber'), width: 16 },
    { header: t('fields.regDate'), width: 14, date: true },
    { header: t('fields.senderNumber'), width: 18 },
    { header: t('fields.senderDate'), width: 14, date: true },
    { header: t('fields.subject'), width: 48 },
    { header: t('fields.documentOrganization'), width: 36 },
    { header: t('fields.documentPerson'), width: 28 },
    { header: t('export.col.files'), width: 8 },
  ];
}

/** The register with its filters, newest first as on the screen, page by page (keyset). */
export function documentsTable(db: Db, filter: DocumentFilter, t: Translate): Table {
  async function* pages() {
    let cursor: DocumentCursor | null = null;
    for (;;) {
      const page = await listDocuments(db, filter, { mode: cursor ? 'next' : 'first', cursor, size: BATCH });
      if (page.rows.length) yield page.rows;
      const last = page.rows[page.rows.length - 1];
      if (!page.hasNext || !last) return;
      cursor = { regDate: last.regDate, id: Number(last.id) };
    }
  }
  async function* batches(): AsyncGenerator<Cell[][]> {
    for await (const rows of ahead(pages())) {
      yield rows.map((d) => [
        t(`documents.direction.${d.direction}`), d.regNumber, dateCell(d.regDate), d.senderNumber || null, dateCell(d.senderDate), d.subject || null,
        d.organizationName || null, d.personName?.trim() || null, Number(d.fileCount),
      ]);
    }
  }
  return { sheet: t('correspondence.title'), columns: documentColumns(t), batches: batches() };
}
