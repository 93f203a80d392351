import { sanitizeFileName } from '../../lib/file-name.js';
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.js';
import { IMPORT_DECISIONS, importBatches, type ImportBatch, type ImportDecision } from '../../db/schema/imports.js';
import { laterBatches, UndoBlockedError } from './commit/undo.js';
import type { User } from '../../db/schema/users.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { requireSecretary } from '../../lib/access.js';
import { readOptions, type ImportOptions } from './options.js';
import { guessMapping, ParseError, type ColumnMapping, type UnknownColumns } from './parse/index.js';
import { parseUploadOffThread, WorkerFailedError } from './parse-off-thread.js';
import { forgetRows } from './preview/kept-rows.js';
import { storeBatch } from './preview/preview.js';
import { deleteBatch, findBatch, lockBatch, setRowDecisions } from './queries.js';
import type { ParsedImport } from './types.js';
import { looksLikeXml, XmlImporter } from './read/xml-import.js';

/**
 * The import's rules: reading an upload within its limits (nothing is written for a bad file),
 * the choices made in the preview, and the state changes of a batch
 * (preview → committing → committed | failed; committed → undone).
 */
export interface ImportLimits {
  maxBytes: number;
  maxRows: number;
}

/** Room for the multipart envelope (boundaries, headers) around the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;
/** Bytes looked at to tell this system's XML from an Outlook file. */
const SNIFF_BYTES = 512;
/**
 * A committing batch that no queued or running job holds (its job was lost): after this grace
 * (the moment between marking it and queueing its job) it may be committed again or discarded.
 */
const STALE_MS = 5 * 1000;

function fileError(key: string, params: Record<string, string | number> = {}): ValidationError {
  return new ValidationError({ file: { key, params } });
}

/** A refusal sent before the body is read: the request says it is bigger than any file we take. */
export class UploadTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super(413, 'import.error.tooLarge', { count: Math.round((maxBytes / 1024 / 1024) * 10) / 10 });
  }
}

/** A declared Content-Length beyond the limit is refused at once, never read. */
export function checkDeclaredSize(req: FastifyRequest, limits: ImportLimits) {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes + MULTIPART_OVERHEAD) throw new UploadTooLargeError(limits.maxBytes);
}

const PARSE_ERRORS: Record<string, string> = {
  empty: 'import.error.empty',
  not_outlook_csv: 'import.error.notOutlookCsv',
  unterminated_quote: 'import.error.unterminatedQuote',
  vcard_unterminated: 'import.error.vcardUnterminated',
  not_a_contacts_file: 'import.error.notContacts',
  xlsx_corrupt: 'import.error.xlsxCorrupt',
  xlsx_encrypted: 'import.error.xlsxEncrypted',
  xlsx_too_big: 'import.error.xlsxTooBig',
  xlsx_no_sheet: 'import.error.xlsxNoSheet',
};

const megabytes = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

/**
 * Reads the uploaded file as it streams in. This system's XML (sniffed by content) goes through
 * the streaming XML reader; an Outlook CSV or vCard is collected (within the size limit) and
 * parsed. Every refusal is a ValidationError on `file` with a localized message.
 */
export async function readImportUpload(req: FastifyRequest, limits: ImportLimits, mappings: MappingLookup): Promise<ImportUpload> {
  let file;
  try {
    file = await req.file({ limits: { fileSize: limits.maxBytes, files: 1, fields: 5, parts: 6 } });
  } catch (err) {
    throw uploadError(err, limits);
  }
  if (!file) throw fileError('import.error.noFile');
  // Cleaned as document file names are: no bidi overrides disguising an extension, bounded length.
  const name = sanitizeFileName(file.filename ?? '', 'contacts');
  const head: Buffer[] = [];
  let headSize = 0;
  let size = 0;
  let xml: XmlImporter | null = null;
  let sniffed = false;
  // Decided once, on the first bytes: XML streams into its reader, anything else is collected.
  const sniff = () => {
    sniffed = true;
    if (!looksLikeXml(Buffer.concat(head).subarray(0, SNIFF_BYTES))) return;
    xml = new XmlImporter({ maxRows: limits.maxRows });
    for (const c of head.splice(0)) xml.write(c);
  };
  try {
    for await (const chunk of file.file as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (xml) {
        (xml as XmlImporter).write(chunk);
        continue;
      }
      head.push(chunk);
      headSize += chunk.length;
      if (!sniffed && headSize >= SNIFF_BYTES) sniff();
    }
  } catch (err) {
    // The rest of the upload is not wanted: let it drain so the connection can answer.
    file.file.resume();
    throw uploadError(err, limits);
  }
  if (file.file.truncated) throw fileError('import.error.tooLarge', { count: megabytes(limits.maxBytes) });
  if (!sniffed) sniff();
  if (xml) return checkRows({ name, size, parsed: await (xml as XmlImporter).finish() }, limits);
  return checkRows({ name, size, ...(await parseContacts(head, name, limits, mappings)) }, limits);
}

/** A file with nothing to import, or too much, is refused (a table awaiting its mapping is not read yet). */
function checkRows(upload: ImportUpload, limits: ImportLimits): ImportUpload {
  const { parsed } = upload;
  if (parsed.details.pending) return upload;
  const people = parsed.rows.length;
  if (people === 0) throw fileError('import.error.noRows');
  if (parsed.format !== 'xml' && people > limits.maxRows) throw fileError('import.error.tooManyRows', { count: limits.maxRows });
  return upload;
}

function uploadError(err: unknown, limits: ImportLimits): Error {
  if (err instanceof ValidationError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileError('import.error.tooLarge', { count: megabytes(limits.maxBytes) });
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return fileError('import.error.noFile');
  return err as Error;
}

/** An uploaded file read: its rows (or the columns awaiting a mapping) and, for a table, its bytes. */
export interface ImportUpload {
  name: string;
  size: number;
  parsed: ParsedImport;
  /** A table (CSV, spreadsheet) is kept while in preview: it may be read again with another mapping or sheet. */
  source?: Buffer;
}

/** The mappings users gave before, by header signature (see read/table-mapping.ts). */
export type MappingLookup = () => Promise<Record<string, ColumnMapping>>;

const TABLE_FORMATS = new Set(['outlook-csv', 'google-csv', 'thunderbird-csv', 'csv', 'xlsx']);

/**
 * A contacts file (CSV, spreadsheet, vCard), parsed off the event loop; the parser stops at the row
 * limit. A table is read with the mapping a user gave before for its header, else by the format its
 * header has; one of neither comes back as columns awaiting the user's mapping.
 */
async function parseContacts(chunks: Buffer[], name: string, limits: ImportLimits, mappings: MappingLookup): Promise<{ parsed: ParsedImport; source?: Buffer }> {
  // Kept for the mapping step and the sheet choice (the parse worker is handed its own copy).
  const source = Buffer.concat(chunks);
  const saved = await mappings();
  try {
    const parsed = await parseFile([source], name, limits, { saved });
    return TABLE_FORMATS.has(parsed.format) ? { parsed, source } : { parsed };
  } catch (err) {
    if (err instanceof ParseError && err.code === 'not_outlook_csv' && err.columns) return { parsed: pendingImport(JSON.parse(err.columns) as UnknownColumns), source };
    throw err;
  }
}

/** A table awaiting its mapping: no rows yet, its columns and samples for the mapping step. */
export function pendingImport(columns: UnknownColumns): ParsedImport {
  const xlsx = columns.sheet !== undefined;
  return {
    format: xlsx ? 'xlsx' : 'csv',
    encoding: columns.encoding,
    delimiter: columns.delimiter,
    details: {
      pending: true,
      table: { signature: columns.signature, headers: columns.headers, samples: columns.samples, mapping: guessMapping(columns.headers).map((t) => t?.to ?? null) },
      ...(xlsx ? { sheet: columns.sheet, sheets: columns.sheets } : {}),
    },
    rows: [],
  };
}

/** `parseUploadOffThread` with its refusals as localized file errors. */
export async function parseFile(chunks: Buffer[], name: string, limits: ImportLimits, options: { mapping?: ColumnMapping; sheet?: string; saved?: Record<string, ColumnMapping> }): Promise<ParsedImport> {
  try {
    return await parseUploadOffThread(chunks, name, limits.maxRows, options);
  } catch (err) {
    if (err instanceof ParseError && err.code === 'not_outlook_csv' && err.columns) throw err;
    if (err instanceof ParseError && err.code === 'too_many_rows') throw fileError('import.error.tooManyRows', { count: limits.maxRows });
    if (err instanceof ParseError) throw fileError(PARSE_ERRORS[err.code] ?? 'import.error.notContacts', { line: err.line ?? 0 });
    // A file that takes the parser past its memory limit is not one we can import.
    if (err instanceof WorkerFailedError && err.code === 'ERR_WORKER_OUT_OF_MEMORY') throw fileError('import.error.notContacts', { line: 0 });
    throw err;
  }
}

export async function createImport(db: Db, actor: User, upload: ImportUpload) {
  requireSecretary(actor);
  return storeBatch(db, actor, { name: upload.name, size: upload.size }, upload.parsed, { source: upload.source ?? null });
}

/** A batch a secretary may look at; 404 otherwise. */
export async function loadBatch(db: Db, id: number) {
  const batch = await findBatch(db, id);
  if (!batch) throw new NotFoundError();
  return batch;
}

/** A commit that nobody is running any more (its process stopped): it can be started again. */
export function isStale(batch: { status: string; progressAt: Date | null; startedAt: Date | null }, live: boolean): boolean {
  if (batch.status !== 'committing' || live) return false;
  // No job holds it (its job failed or was lost): after a short grace for a job being queued.
  const last = batch.progressAt ?? batch.startedAt;
  return !last || Date.now() - last.getTime() > STALE_MS;
}

/**
 * The preview's choices: `all` is the all-rows choice for duplicates, `row.N` a row's own (empty:
 * as for all rows), `createGroups` turns categories into mailing groups.
 */
export function readChoices(body: Record<string, unknown>): { options: Partial<ImportOptions>; rows: Map<number, ImportDecision | null> } {
  const options: Partial<ImportOptions> = {};
  if (IMPORT_DECISIONS.includes(body.all as ImportDecision)) options.decision = body.all as ImportDecision;
  if ('options' in body) options.createGroups = body.createGroups === '1' || body.createGroups === 'on';
  const rows = new Map<number, ImportDecision | null>();
  for (const [k, v] of Object.entries(body)) {
    const m = /^row\.(\d{1,9})$/.exec(k);
    if (!m) continue;
    const value = Array.isArray(v) ? v[v.length - 1] : v;
    rows.set(Number(m[1]), IMPORT_DECISIONS.includes(value as ImportDecision) ? (value as ImportDecision) : null);
  }
  return { options, rows };
}

export async function saveChoices(db: Db, actor: User, id: number, body: Record<string, unknown>) {
  requireSecretary(actor);
  const { options, rows } = readChoices(body);
  await db.transaction(async (tx) => {
    const batch = await lockBatch(tx, id);
    if (!batch) throw new NotFoundError();
    if (batch.status !== 'preview' && batch.status !== 'failed') throw new ConflictError('import.notInPreview');
    await tx
      .update(importBatches)
      .set({ options: { ...readOptions(batch.options), ...options } })
      .where(eq(importBatches.id, id));
    await setRowDecisions(tx, id, rows);
  });
}

/**
 * Saves the last choices and marks the batch as committing, unless it already is (a second click,
 * another secretary): only one commit of a batch ever runs. The caller starts the work.
 */
export async function startCommit(db: Db, actor: User, id: number, body: Record<string, unknown>, live: boolean): Promise<ImportBatch> {
  requireSecretary(actor);
  const batch = await loadBatch(db, id);
  const stale = isStale(batch, live);
  if (batch.status !== 'preview' && batch.status !== 'failed' && !stale) throw new ConflictError('import.notInPreview');
  if ((batch.details as ParsedImport['details'] | null)?.pending) throw new ConflictError('import.mapping.pending');
  if (!stale) await saveChoices(db, actor, id, body);
  const started = await db
    .update(importBatches)
    .set({ status: 'committing', startedAt: new Date(), progressAt: new Date(), done: 0, error: null, source: null })
    .where(
      and(
        eq(importBatches.id, id),
        or(inArray(importBatches.status, ['preview', 'failed']), stale ? sql`${importBatches.status} = 'committing' and ${importBatches.version} = ${batch.version}` : sql`false`),
      ),
    )
    .returning({ id: importBatches.id });
  if (!started.length) throw new ConflictError('import.notInPreview');
  return batch;
}

/** The commit could not even be queued: the batch may be committed again. */
export async function failCommit(db: Db, id: number) {
  await db.update(importBatches).set({ status: 'failed', error: 'import.commitFailed' }).where(and(eq(importBatches.id, id), eq(importBatches.status, 'committing')));
}

/**
 * What the undo would be refused for, checked before its job is queued (the job checks again in
 * its transaction): a batch that is not committed, or later imports resting on it.
 */
export async function checkUndo(db: Db, actor: User, batch: ImportBatch) {
  requireSecretary(actor);
  if (batch.status !== 'committed' || !batch.committedAt) throw new ConflictError('import.undo.notCommitted');
  const later = await db.transaction(async (tx) => {
    const seen = await laterBatches(tx, batch.id);
    if (!seen.length) return seen;
    // An undo of one of them in progress holds its row FOR UPDATE: wait for it, then ask again
    // (READ COMMITTED: the next statement sees it undone), instead of refusing for a batch that
    // is just going away. The job's own undo makes the same check under its locks.
    await tx.select({ id: importBatches.id }).from(importBatches).where(inArray(importBatches.id, seen.map((b) => b.id))).orderBy(importBatches.id).for('share');
    return laterBatches(tx, batch.id);
  });
  if (later.length) throw new UndoBlockedError(later);
}

/** Drops a batch that was never written (preview or failed): its rows and photos go with it. */
export async function discardBatch(db: Db, actor: User, id: number) {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const batch = await lockBatch(tx, id);
    if (!batch) throw new NotFoundError();
    if (batch.status !== 'preview' && batch.status !== 'failed') throw new ConflictError('import.notInPreview');
    await deleteBatch(tx, id);
  });
  forgetRows(id);
}
