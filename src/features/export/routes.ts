import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Form, IdParams, IdText, NoQuery, Query, SafeText, Type, Word } from '../../lib/schemas.js';
import { assertGroupExists, groupVcards, personVcard, scopeOf } from './service.js';
import { instanceId } from '../../lib/exchange/keys.js';
import { attachment } from '../../lib/attachment.js';
import { VCARD_VERSIONS } from './vcard.js';
import { contactsXml } from './xml.js';
import { findGroup } from '../groups/service.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { ListQuery, parseListQuery, type ListQueryT } from '../documents/list.js';
import { contactsTable, documentsTable } from './spreadsheet.js';
import { csvChunks, xlsxStream, type Table } from './table.js';

const SELECTION = { group: IdText(), group_by: Word(20), q: SafeText(500), org: IdText('none'), archived: Word(5), approx: Word(5) };
const ExportQuery = Query({ ...SELECTION, photos: Word(5) });
/** The spreadsheet exports read the same selection (no photos in a table). */
const TableQuery = Query(SELECTION);
type TableQueryT = Static<typeof TableQuery>;
const Version = Type.Union(VCARD_VERSIONS.map((v) => Type.Literal(v)));
const VcardQuery = Query({ version: Version });
const GroupVcardQuery = Query({ photos: Word(5), version: Version });
type ExportQueryT = Static<typeof ExportQuery>;

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const CSV_TYPE = 'text/csv; charset=utf-8';
type IdReq = { Params: { id: number } };
const ExportJobBody = Form({ photos: Word(5) });

/** The job kind: the whole directory as an XML file. */
export const EXPORT_JOB = 'xml.directory';

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/schema');

const today = () => new Date().toISOString().slice(0, 10);

export default async function exportRoutes(app: FastifyInstance) {
  const db = app.db;
  // The installation's name in export keys, made now on the primary: exports read the replica.
  if (app.replica) await instanceId(app.database.db);

  // Everyone may export (SPEC: rights); the file is streamed as it is read from the database.
  app.get<{ Querystring: ExportQueryT }>('/export.xml', { config: { access: 'user', replica: true }, schema: { querystring: ExportQuery } }, async (req, reply) => {
    const scope = scopeOf(req.query);
    if (scope.kind === 'group') await assertGroupExists(db, scope.groupId);
    const stream = Readable.from(contactsXml(db, scope, { photos: req.query.photos === '1' }));
    stream.on('error', (err) => req.log.error({ err }, 'XML export failed while streaming'));
    return reply
      .type('application/xml; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="contacts-${today()}.xml"`)
      .header('Cache-Control', 'no-store')
      .send(stream);
  });

  // The whole directory as a file made in the background, to download later from the job's page.
  app.jobs.registerHandler<{ photos: boolean; day: string }>(EXPORT_JOB, {
    title: 'export.job.title',
    // Streamed to a file on disk as it is made (the file's back-pressure paces the queries), then
    // stored piece by piece: memory stays flat whatever the directory's size and its photos.
    async run(ctx) {
      const file = await ctx.tempFile('contacts.xml');
      let size = 0;
      ctx.progress(0, 0, 'export.job.phase', { mb: 0 });
      await pipeline(async function* () {
        for await (const chunk of contactsXml(db, { kind: 'all' }, { photos: ctx.payload.photos })) {
          if (ctx.signal.aborted) throw new Error('export aborted');
          size += chunk.length;
          ctx.progress(0, 0, 'export.job.phase', { mb: Math.round((size / 1024 / 1024) * 10) / 10 });
          yield chunk;
        }
      }, createWriteStream(file));
      return { file: { name: `contacts-${ctx.payload.day}.xml`, type: 'application/xml; charset=utf-8', path: file } };
    },
  });

  app.post<{ Body: { photos?: string } }>('/export/jobs', { config: { access: 'user' }, schema: { querystring: NoQuery, body: ExportJobBody } }, async (req, reply) => {
    const photos = req.body?.photos === '1';
    const job = await app.jobs.enqueue(EXPORT_JOB, { photos, day: today() }, { owner: req.user!, dedupeKey: `all:${photos}` });
    reply.flash('info', job.deduped ? 'jobs.deduped' : 'jobs.started');
    return reply.seeOther(`/jobs/${job.id}`);
  });

  app.get('/export/schema.xsd', { config: { access: 'user' }, schema: { querystring: NoQuery } }, async (_req, reply) =>
    reply.type('application/xml; charset=utf-8').header('Cache-Control', 'public, max-age=3600').sendFile('contacts.xsd', SCHEMA_DIR),
  );

  app.get<IdReq & { Querystring: Static<typeof VcardQuery> }>('/persons/:id/vcard', { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: VcardQuery } }, async (req, reply) => {
    const card = await personVcard(db, req.params.id, req.t, req.query.version);
    return reply.type('text/vcard; charset=utf-8').header('Content-Disposition', attachment(`${card.name || 'contact'}.vcf`)).header('Cache-Control', 'no-store').send(card.text);
  });

  app.get<IdReq & { Querystring: Static<typeof GroupVcardQuery> }>('/groups/:id/vcard', { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: GroupVcardQuery } }, async (req, reply) => {
    const group = await findGroup(db, req.params.id);
    if (!group) throw new NotFoundError();
    const stream = Readable.from(groupVcards(db, group.id, req.t, { photos: req.query.photos === '1', version: req.query.version }));
    stream.on('error', (err) => req.log.error({ err }, 'vCard export failed while streaming'));
    return reply.type('text/vcard; charset=utf-8').header('Content-Disposition', attachment(`${group.name}.vcf`)).header('Cache-Control', 'no-store').send(stream);
  });

  /** A table as a download: .xlsx or CSV, streamed as the rows are read. */
  function sendTable(req: FastifyRequest, reply: FastifyReply, table: Table, format: 'xlsx' | 'csv', name: string) {
    const stream = format === 'xlsx' ? xlsxStream(table, req.locale) : Readable.from(csvChunks(table, req.locale));
    stream.on('error', (err) => req.log.error({ err }, `${format} export failed while streaming`));
    return reply
      .type(format === 'xlsx' ? XLSX_TYPE : CSV_TYPE)
      .header('Content-Disposition', attachment(`${name}-${today()}.${format}`))
      .header('Cache-Control', 'no-store')
      .send(stream);
  }

  // The /contacts selection or a group (?group=) as a spreadsheet: the same scope as /export.xml.
  const contactsTableDownload = (format: 'xlsx' | 'csv') => async (req: FastifyRequest<{ Querystring: TableQueryT }>, reply: FastifyReply) => {
    const scope = scopeOf(req.query);
    let name = 'contacts';
    if (scope.kind === 'group') {
      const group = await findGroup(db, scope.groupId);
      if (!group) throw new NotFoundError();
      name = group.name;
    }
    return sendTable(req, reply, await contactsTable(db, scope, req.t), format, name);
  };

  // The document register with the filters it shows (the page position is not a filter).
  const documentsTableDownload = (format: 'xlsx' | 'csv') => async (req: FastifyRequest<{ Querystring: ListQueryT }>, reply: FastifyReply) => {
    const parsed = parseListQuery(req.query);
    if (Object.keys(parsed.errors).length) throw new ValidationError(parsed.errors);
    return sendTable(req, reply, documentsTable(db, parsed.filter, req.t), format, 'documents');
  };

  const contactsTableOptions = { config: { access: 'user' as const, replica: true as const }, schema: { querystring: TableQuery } };
  const documentsTableOptions = { config: { access: 'user' as const, replica: true as const }, schema: { querystring: ListQuery } };
  app.get<{ Querystring: TableQueryT }>('/export.xlsx', contactsTableOptions, contactsTableDownload('xlsx'));
  app.get<{ Querystring: TableQueryT }>('/export.csv', contactsTableOptions, contactsTableDownload('csv'));
  app.get<{ Querystring: ListQueryT }>('/documents/export.xlsx', documentsTableOptions, documentsTableDownload('xlsx'));
  app.get<{ Querystring: ListQueryT }>('/documents/export.csv', documentsTableOptions, documentsTableDownload('csv'));
}
