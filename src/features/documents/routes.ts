import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Form, Id, IdParams, IdText, Line, NoQuery, Query, SafeLines, Type, UploadQuery, Word } from '../../lib/schemas.js';
import { DIRECTIONS, type Document } from '../../db/schema/documents.js';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../../lib/errors.js';
import { wantsFragment } from '../../plugins/render.js';
import { historyOf } from '../audit/service.js';
import { todayIso } from './dates.js';
import { contentDisposition, INLINE_TYPES, MAX_DOCUMENT_BYTES, MAX_FILE_BYTES } from './files.js';
import { ListQuery, parseListQuery, encodeCursor, PAGE_SIZE, viewHelpers, type ListQueryT } from './list.js';
import { linkBuilder, pagerLinks } from '../../lib/keyset.js';
import {
  citingMemberships,
  countDocuments,
  countFiltered,
  COUNT_CAP,
  filesOf,
  findCounterparty,
  findDocument,
  findFile,
  listDocuments,
  type Counterparty,
  type DocumentFilter,
} from './queries.js';
import { loadPicker } from '../choices/picker.js';
import * as service from './service.js';
import { BaseField, conflictingFields, formBase, type ShowValue } from '../../lib/conflict.js';
import { readDocumentUpload } from './upload.js';

const FileParams = Type.Object({ id: Id, fileId: Id });
const NewQuery = Query({ organization: IdText(), person: IdText(), direction: Word(20) });
const FileQuery = Query({ inline: Word(5) });
const DocumentForm = Form({
  direction: Word(20), regDate: Line(40), senderNumber: Line(), senderDate: Line(40), subject: Line(), summary: SafeLines(20000), note: SafeLines(20000),
  organizationId: Line(20), organizationId_find: Line(500), personId: Line(20), personId_find: Line(500), version: Line(20), base: BaseField,
});
/** The document's counterparties are named as on its card, not as a person's workplace. */
const CONFLICT_LABELS = { organizationId: 'fields.documentOrganization', personId: 'fields.documentPerson' };
type Body = Static<typeof DocumentForm> & Record<string, unknown>;
type IdReq = { Params: { id: number } };

const MB = 1024 * 1024;
const positive = (v: unknown) => (Number(v) > 0 && Number.isInteger(Number(v)) ? Number(v) : null);

/** The form's values from a stored document. */
function formOf(d: Document): Record<string, unknown> {
  return { ...d, senderDate: d.senderDate ?? '', organizationId: d.organizationId ?? '', personId: d.personId ?? '' };
}

export default async function documentRoutes(app: FastifyInstance) {
  const db = app.db;

  async function load(id: number) {
    const doc = await findDocument(db, id);
    if (!doc) throw new NotFoundError();
    return doc;
  }

  async function formData(form: Record<string, unknown>, errors: FieldErrors = {}, extra: Record<string, unknown> = {}) {
    // A form that comes back (errors, 409) offers the matches of what was typed in the search boxes.
    const [organizationPicker, personPicker] = await Promise.all([
      loadPicker(db, 'organization', 'organizationId', { find: form.organizationId_find, selected: form.organizationId }),
      loadPicker(db, 'person', 'personId', { find: form.personId_find, selected: form.personId }),
    ]);
    return { form, errors, organizationPicker, personPicker, directions: DIRECTIONS, maxFileMb: MAX_FILE_BYTES / MB, maxDocumentMb: MAX_DOCUMENT_BYTES / MB, ...extra };
  }

  /** One page of a list (the register, or a counterparty's documents) with its pager and filters. */
  async function listData(req: FastifyRequest<{ Querystring: ListQueryT }>, base: string, fixed: DocumentFilter = {}) {
    const parsed = parseListQuery(req.query);
    const filter = { ...parsed.filter, ...fixed };
    let mode = parsed.mode;
    const size = PAGE_SIZE;
    let list = await listDocuments(db, filter, { mode, cursor: parsed.cursor, size });
    // A "previous" page near the start would come out short: show the full first page instead.
    if (mode === 'prev' && !list.hasPrev) {
      mode = 'first';
      list = await listDocuments(db, filter, { mode, cursor: null, size });
    }
    const total = await countFiltered(db, filter);
    const link = linkBuilder(base, parsed.form, Object.keys(fixed).length ? ['organization', 'person'] : []);
    const pager = pagerLinks(list, link, encodeCursor);
    // The spreadsheet export of the same list: its filters, a counterparty's page's own included.
    const exportFilter: Record<string, string> = { ...parsed.form };
    if (Object.keys(fixed).length) exportFilter.organization = exportFilter.person = '';
    if ('organizationId' in fixed && fixed.organizationId) exportFilter.organization = String(fixed.organizationId);
    if ('personId' in fixed && fixed.personId) exportFilter.person = String(fixed.personId);
    const exportQuery = new URLSearchParams(Object.entries(exportFilter).filter(([, v]) => v)).toString();
    return { rows: list.rows, total, countCap: COUNT_CAP, pager, link, exportQuery, listUrl: base, filter: parsed.form, errors: parsed.errors, ...viewHelpers(req.locale, req.t) };
  }

  app.get<{ Querystring: ListQueryT }>('/documents', { config: { access: 'user', replica: true }, schema: { querystring: ListQuery } }, async (req, reply) => {
    const data = await listData(req, '/documents');
    const personId = positive(data.filter.person);
    // The filter form (with its organization picker) is not part of the htmx fragment.
    const [organizationPicker, filterPerson] = await Promise.all([
      wantsFragment(req) ? undefined : loadPicker(db, 'organization', 'organization', { find: req.query.organization_find, selected: data.filter.organization, blank: 'any' }),
      personId ? findCounterparty(db, { personId }) : undefined,
    ]);
    return reply.page(
      'documents/index',
      { ...data, organizationPicker, filterPerson, showCounterparty: true, pageTitle: req.t('correspondence.title') },
      { fragment: 'documents/_list' },
    );
  });

  app.get<{ Querystring: Static<typeof NewQuery> }>(
    '/documents/new',
    { config: { access: 'secretary' }, schema: { querystring: NewQuery } },
    async (req, reply) => {
      // Opened from a counterparty: the person brings their organization along.
      const person = positive(req.query.person) ? await findCounterparty(db, { personId: positive(req.query.person)! }) : undefined;
      const orgId = positive(req.query.organization) ?? person?.organizationId ?? null;
      const org = orgId ? await findCounterparty(db, { organizationId: orgId }) : undefined;
      const direction = req.query.direction === 'outgoing' ? 'outgoing' : 'incoming';
      const form = {
        direction,
        regDate: todayIso(),
        organizationId: org && !org.archivedAt ? org.id : '',
        personId: person && !person.archivedAt ? person.id : '',
      };
      return reply.page('documents/new', { ...(await formData(form)), pageTitle: req.t('documents.new') });
    },
  );

  app.post('/documents', { config: { access: 'secretary' }, schema: { querystring: UploadQuery } }, async (req, reply) => {
    const upload = await readDocumentUpload(req);
    let errors: FieldErrors = { ...upload.errors };
    let input: service.DocumentInput | null = null;
    try {
      input = await service.readDocumentForm(db, upload.fields);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors = { ...err.fields, ...errors };
    }
    try {
      if (!input || Object.keys(errors).length) throw new ValidationError(errors);
      const doc = await service.registerDocument(db, req.user!, input, upload.files);
      reply.flash('success', 'documents.registered', { number: doc.regNumber });
      return reply.seeOther(`/documents/${doc.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const data = await formData(upload.fields, err.fields, { filesLost: upload.chosen > 0 });
      return reply.page('documents/new', { ...data, pageTitle: req.t('documents.new') }, { status: 422 });
    }
  });

  app.get<IdReq>('/documents/:id', { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const doc = await load(req.params.id);
    return reply.page('documents/show', await showData(req, doc));
  });

  async function showData(req: FastifyRequest, doc: Awaited<ReturnType<typeof load>>, errors: FieldErrors = {}) {
    const [files, citing, history] = await Promise.all([filesOf(db, doc.id), citingMemberships(db, doc.id), historyOf(db, 'document', doc.id)]);
    return { doc, files, citing, history, errors, inlineTypes: INLINE_TYPES, maxFileMb: MAX_FILE_BYTES / MB, maxDocumentMb: MAX_DOCUMENT_BYTES / MB, ...viewHelpers(req.locale, req.t), pageTitle: doc.regNumber };
  }

  app.get<IdReq>('/documents/:id/edit', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const doc = await load(req.params.id);
    return reply.page('documents/edit', { doc, ...(await formData(formOf(doc))), base: formBase(formOf(doc), service.DOCUMENT_FIELDS), pageTitle: doc.regNumber });
  });

  app.post<IdReq & { Body: Body }>('/documents/:id', { config: { access: 'secretary' }, schema: { params: IdParams, body: DocumentForm } }, async (req, reply) => {
    const doc = await load(req.params.id);
    const body = req.body ?? {};
    const version = Number(body.version);
    try {
      const input = await service.readDocumentForm(db, body, doc);
      await service.updateDocument(db, req.user!, doc.id, version, input);
      reply.flash('success', 'documents.saved', { number: doc.regNumber });
      return reply.seeOther(`/documents/${doc.id}`);
    } catch (err) {
      if (err instanceof ValidationError) {
        return reply.page('documents/edit', { doc: { ...doc, version }, ...(await formData(body, err.fields)), base: body.base, pageTitle: doc.regNumber }, { status: 422 });
      }
      if (err instanceof ConflictError) return conflict(req, reply, doc.id);
      throw err;
    }
  });

  /** 409: the stored values beside the user's; the form keeps theirs with the new version. */
  async function conflict(req: FastifyRequest<{ Body: Body }>, reply: FastifyReply, id: number) {
    const current = await load(id);
    const stored = formOf(current);
    const body = req.body ?? {};
    const people = new Map<string, string>();
    // Counterparties are compared by id and shown by name.
    const names: Record<string, Map<string, string>> = { organizationId: new Map(), personId: people };
    const data = await formData(body);
    for (const o of data.organizationPicker.choices) names.organizationId.set(String(o.id), o.name);
    for (const p of data.personPicker.choices) people.set(String(p.id), p.name);
    if (current.organizationId) names.organizationId.set(String(current.organizationId), current.organizationName ?? '');
    if (current.personId) people.set(String(current.personId), current.personName ?? '');
    const show: ShowValue = (f, v) => (v === null || v === undefined || v === '' ? '' : (names[f]?.get(String(v)) ?? String(v)));
    // Compared as stored (ids), shown by name.
    const differing = conflictingFields(service.DOCUMENT_FIELDS, stored, body, body.base);
    return reply.page('documents/edit', { doc: current, conflict: { current: stored, differing, show, labels: CONFLICT_LABELS }, ...data, base: formBase(stored, service.DOCUMENT_FIELDS), pageTitle: current.regNumber }, { status: 409 });
  }

  app.post<IdReq>('/documents/:id/files', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: UploadQuery } }, async (req, reply) => {
    const doc = await load(req.params.id);
    const upload = await readDocumentUpload(req);
    try {
      if (upload.errors.files) throw new ValidationError(upload.errors);
      await service.addDocumentFiles(db, req.user!, doc.id, upload.files);
      reply.flash('success', 'documents.filesAdded', { count: upload.files.length });
      return reply.seeOther(`/documents/${doc.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return reply.page('documents/show', await showData(req, doc, err.fields), { status: 422 });
    }
  });

  app.post<{ Params: { id: number; fileId: number } }>(
    '/documents/:id/files/:fileId/delete',
    { config: { access: 'secretary' }, schema: { params: FileParams, body: Form({}) } },
    async (req, reply) => {
      const file = await findFile(db, req.params.id, req.params.fileId);
      if (!file) throw new NotFoundError();
      await service.removeDocumentFile(db, req.user!, req.params.id, file.id);
      reply.flash('success', 'documents.fileRemoved', { name: file.fileName });
      return reply.seeOther(`/documents/${req.params.id}`);
    },
  );

  app.get<{ Params: { id: number; fileId: number }; Querystring: Static<typeof FileQuery> }>(
    '/documents/:id/files/:fileId',
    { config: { access: 'user', replica: true }, schema: { params: FileParams, querystring: FileQuery } },
    async (req, reply) => {
      const file = await findFile(db, req.params.id, req.params.fileId);
      if (!file) throw new NotFoundError();
      // Only types a browser renders passively are shown inline; everything else is a download.
      const inline = req.query.inline === '1' && INLINE_TYPES.has(file.contentType);
      const etag = `"${file.sha256}"`;
      reply
        .header('Content-Disposition', contentDisposition(file.fileName, inline ? 'inline' : 'attachment'))
        .header('X-Content-Type-Options', 'nosniff')
        // A file's bytes never change under its id; private because it is not public data.
        .header('Cache-Control', 'private, max-age=86400')
        .header('ETag', etag);
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(file.contentType).send(file.content);
    },
  );

  /** A counterparty's documents: the list page with the counts on top. */
  async function counterpartyList(req: FastifyRequest<IdReq & { Querystring: ListQueryT }>, reply: FastifyReply, who: Counterparty, base: string) {
    const party = await findCounterparty(db, who);
    if (!party) throw new NotFoundError();
    const fixed: DocumentFilter = 'personId' in who ? { personId: who.personId, organizationId: null } : { organizationId: who.organizationId, personId: null };
    const [data, documentCounts] = await Promise.all([listData(req, base, fixed), countDocuments(db, who)]);
    const kind = 'personId' in who ? 'person' : 'organization';
    return reply.page(
      'correspondence/index',
      { ...data, party, kind, documentCounts, showCounterparty: kind === 'organization', pageTitle: `${req.t('correspondence.title')}: ${party.name}` },
      { fragment: 'documents/_list' },
    );
  }

  app.get<IdReq & { Querystring: ListQueryT }>(
    '/persons/:id/correspondence',
    { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: ListQuery } },
    async (req, reply) => counterpartyList(req, reply, { personId: req.params.id }, `/persons/${req.params.id}/correspondence`),
  );

  app.get<IdReq & { Querystring: ListQueryT }>(
    '/organizations/:id/correspondence',
    { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: ListQuery } },
    async (req, reply) => counterpartyList(req, reply, { organizationId: req.params.id }, `/organizations/${req.params.id}/correspondence`),
  );
}
