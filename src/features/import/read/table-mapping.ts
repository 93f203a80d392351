import { desc } from 'drizzle-orm';
import type { Db } from '../../../db/client.js';
import { importMappings, type ImportBatch } from '../../../db/schema/imports.js';
import type { User } from '../../../db/schema/users.js';
import { ConflictError, ValidationError } from '../../../lib/errors.js';
import { requireSecretary } from '../../../lib/access.js';
import { checkMapping, ParseError, TARGETS, USER_TARGETS, type ColumnMapping, type Target, type UnknownColumns } from '../parse/index.js';
import { storeBatch } from '../preview/preview.js';
import { batchSource } from '../queries.js';
import { parseFile, pendingImport, type ImportLimits } from '../service.js';
import type { ParsedImport } from '../types.js';

/**
 * The mapping step of a table no known format matched: the user's choice of a field per column is
 * checked, remembered by the header signature (the next file with those columns is read with it at
 * once), and the kept file is read again with it. A spreadsheet's sheet is chosen the same way.
 */

/** Remembered mappings at most handed to a parse (the most recently given). */
const SAVED_MAPPINGS = 1000;

/**
 * The mappings users gave, by header signature (only targets this version knows): handed to the
 * parse worker as data, they win over the format a header is recognized as.
 */
export async function savedMappings(db: Db): Promise<Record<string, ColumnMapping>> {
  const rows = await db.select({ signature: importMappings.signature, mapping: importMappings.mapping }).from(importMappings).orderBy(desc(importMappings.updatedAt)).limit(SAVED_MAPPINGS);
  const known = new Set<string>(TARGETS);
  const out: Record<string, ColumnMapping> = {};
  for (const row of rows) {
    if (!Array.isArray(row.mapping)) continue;
    out[row.signature] = (row.mapping as unknown[]).map((t) => {
      const to = (t as { to?: unknown } | null)?.to;
      return typeof to === 'string' && known.has(to) ? { to: to as Target } : null;
    });
  }
  return out;
}

/** A mapping the user cannot use: the localized reason, and the choices to show again. */
export class MappingRefusedError extends ValidationError {
  constructor(
    key: string,
    params: Record<string, string | number>,
    readonly choices: (string | null)[],
  ) {
    super({ mapping: { key, params } });
  }
}

/** The form's `col.N` choices as a mapping over `width` columns (an unknown choice is refused). */
export function readMappingForm(body: Record<string, unknown>, width: number): ColumnMapping {
  const allowed = new Set<string>(USER_TARGETS);
  const mapping: ColumnMapping = [];
  const choices: (string | null)[] = [];
  for (let i = 0; i < width; i++) {
    const raw = body[`col.${i}`];
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const to = typeof v === 'string' && v !== '' ? v : null;
    choices.push(to);
    if (to !== null && !allowed.has(to)) throw new MappingRefusedError('import.mapping.error.unknownField', { column: i + 1 }, choices);
    mapping.push(to ? { to: to as Target } : null);
  }
  const bad = checkMapping(mapping);
  if (bad?.error === 'maps_nothing') throw new MappingRefusedError('import.mapping.error.nothing', {}, choices);
  if (bad?.error === 'no_identity') throw new MappingRefusedError('import.mapping.error.noIdentity', {}, choices);
  if (bad?.error === 'two_to_one') throw new MappingRefusedError('import.mapping.error.twoToOne', { field: `import.target.${bad.detail}` }, choices);
  return mapping;
}

function requireEditable(actor: User, batch: ImportBatch) {
  requireSecretary(actor);
  if (batch.status !== 'preview' && batch.status !== 'failed') throw new ConflictError('import.notInPreview');
}

/**
 * Reads the batch's kept table again with the user's mapping (remembered for its header) and/or
 * another sheet, replacing its rows. Nothing is written to the directory.
 */
export async function rereadBatch(db: Db, actor: User, batch: ImportBatch, body: Record<string, unknown>, limits: ImportLimits, what: 'mapping' | 'sheet') {
  requireEditable(actor, batch);
  const details = (batch.details ?? {}) as ParsedImport['details'];
  const source = await batchSource(db, batch.id);
  if (!source) throw new ConflictError('import.mapping.noSource');
  let mapping: ColumnMapping | undefined;
  let sheet = details.sheet;
  if (what === 'mapping') {
    const table = details.table;
    if (!table) throw new ConflictError('import.mapping.noSource');
    mapping = readMappingForm(body, table.headers.length);
  } else {
    const wanted = typeof body.sheet === 'string' ? body.sheet : '';
    if (!details.sheets?.includes(wanted)) throw new ValidationError({ sheet: { key: 'import.sheet.unknown', params: {} } });
    sheet = wanted;
  }
  let parsed: ParsedImport;
  try {
    parsed = await parseFile([source], batch.fileName, limits, { mapping, sheet, saved: await savedMappings(db) });
  } catch (err) {
    // Another sheet with columns no format has: its own mapping step.
    if (!(err instanceof ParseError && err.columns)) throw err;
    parsed = pendingImport(JSON.parse(err.columns) as UnknownColumns);
  }
  if (mapping && details.table) {
    await db
      .insert(importMappings)
      .values({ signature: details.table.signature, mapping, updatedBy: actor.id })
      .onConflictDoUpdate({ target: importMappings.signature, set: { mapping, updatedBy: actor.id, updatedAt: new Date() } });
  }
  if (!parsed.details.pending && parsed.rows.length === 0) throw new ValidationError({ mapping: { key: 'import.error.noRows', params: {} } });
  return storeBatch(db, actor, { name: batch.fileName, size: batch.fileSize }, parsed, { source, replace: batch.id });
}
