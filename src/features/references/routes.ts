import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Int, Csrf, Form, IdParams, Line, MAX_ID, NoQuery, Query, SafeText, Word } from '../../lib/schemas.js';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../../lib/errors.js';
import { wantsFragment } from '../../plugins/render.js';
import * as service from './service.js';
import { REFERENCE_KINDS, type ReferenceItem, type ReferenceKind } from './service.js';

const ListQuery = Query({ q: SafeText(200), archived: Word(10) });
// Names longer than the limit pass the schema so that the form shows a field error, not a 422 page.
const NameBody = Form({ name: Line(1000) });
const RenameBody = Type.Object({ name: Type.Optional(Line(1000)), version: Int(0, MAX_ID), _csrf: Type.Optional(Csrf) });
// `archived` is the list's "show archived" state, carried along so a plain form returns to the same view.
const ArchiveBody = Form({ archived: Word(10) });

type IdReq = { Params: { id: number } };
type Editing = { editForm: { name?: string }; editErrors: FieldErrors; conflict: { name: string } | null };

const truthy = (v: string | undefined) => v === '1' || v === 'on' || v === 'true';

const user = { access: 'user' as const };
const secretary = { access: 'secretary' as const };
const listOptions = { config: user, schema: { querystring: ListQuery } };
const addOptions = { config: secretary, schema: { body: NameBody } };
const rowOptions = { config: user, schema: { params: IdParams, querystring: NoQuery } };
const editOptions = { config: secretary, schema: { params: IdParams, querystring: NoQuery } };
const renameOptions = { config: secretary, schema: { params: IdParams, body: RenameBody } };
const archiveOptions = { config: secretary, schema: { params: IdParams, body: ArchiveBody } };
type ListReq = { Querystring: { q?: string; archived?: string } };
type AddReq = { Body: { name?: string } };
type RenameReq = IdReq & { Body: { name?: string; version: number } };
type ArchiveReq = IdReq & { Body: { archived?: string } };

/**
 * Regions, activity types and categories: one set of routes per list under a fixed path, so an
 * unknown list is the router's plain 404 and the route table names every URL the access walk checks.
 */
export default async function referenceRoutes(app: FastifyInstance) {
  // Every kind has its handlers (the compiler says so when a kind is added); its routes are listed below.
  const { regions, activities, categories } = {
    regions: referenceList(app, 'regions'),
    activities: referenceList(app, 'activities'),
    categories: referenceList(app, 'categories'),
  } satisfies Record<ReferenceKind, ReturnType<typeof referenceList>>;

  app.get('/references', { config: user, schema: { querystring: NoQuery } }, async (_req, reply) => reply.redirect(`/references/${REFERENCE_KINDS[0]}`, 302));

  app.get<ListReq>('/references/regions', listOptions, regions.list);
  app.post<AddReq>('/references/regions', addOptions, regions.add);
  app.get<IdReq>('/references/regions/:id', rowOptions, regions.row);
  app.get<IdReq>('/references/regions/:id/edit', editOptions, regions.edit);
  app.post<RenameReq>('/references/regions/:id', renameOptions, regions.rename);
  app.post<ArchiveReq>('/references/regions/:id/archive', archiveOptions, regions.archive);
  app.post<ArchiveReq>('/references/regions/:id/restore', archiveOptions, regions.restore);

  app.get<ListReq>('/references/activities', listOptions, activities.list);
  app.post<AddReq>('/references/activities', addOptions, activities.add);
  app.get<IdReq>('/references/activities/:id', rowOptions, activities.row);
  app.get<IdReq>('/references/activities/:id/edit', editOptions, activities.edit);
  app.post<RenameReq>('/references/activities/:id', renameOptions, activities.rename);
  app.post<ArchiveReq>('/references/activities/:id/archive', archiveOptions, activities.archive);
  app.post<ArchiveReq>('/references/activities/:id/restore', archiveOptions, activities.restore);

  app.get<ListReq>('/references/categories', listOptions, categories.list);
  app.post<AddReq>('/references/categories', addOptions, categories.add);
  app.get<IdReq>('/references/categories/:id', rowOptions, categories.row);
  app.get<IdReq>('/references/categories/:id/edit', editOptions, categories.edit);
  app.post<RenameReq>('/references/categories/:id', renameOptions, categories.rename);
  app.post<ArchiveReq>('/references/categories/:id/archive', archiveOptions, categories.archive);
  app.post<ArchiveReq>('/references/categories/:id/restore', archiveOptions, categories.restore);
}

/** The handlers of one list; referenceRoutes gives each its URL. */
function referenceList(app: FastifyInstance, kind: ReferenceKind) {
  const base = `/references/${kind}`;
  const listUrl = (showArchived: boolean) => (showArchived ? `${base}?archived=1` : base);

  async function listData(req: FastifyRequest, opts: { search?: string; showArchived?: boolean }) {
    const { items, archivedHidden } = await service.listReferences(app.db, kind, opts);
    return {
      pageTitle: req.t(`references.kinds.${kind}`),
      kind,
      kinds: REFERENCE_KINDS,
      base,
      items,
      archivedHidden,
      q: opts.search ?? '',
      showArchived: Boolean(opts.showArchived),
      editingId: null as number | null,
      editForm: {},
      editErrors: {},
      conflict: null,
      addForm: { name: '' },
      addErrors: {},
    };
  }

  /** One row as it is shown in the list (htmx swaps it in place of the row it came from). */
  function row(reply: FastifyReply, item: ReferenceItem, showArchived = false) {
    return reply.fragment('references/_row', { kind, base, item, showArchived });
  }

  /** A row open for renaming: only the row for htmx, else the whole list with that row open. */
  async function editPage(req: FastifyRequest, reply: FastifyReply, item: ReferenceItem, editing: Editing, status = 200) {
    const data = await listData(req, { showArchived: Boolean(item.archivedAt) });
    return reply.page('references/index', { ...data, item, editingId: item.id, ...editing }, { fragment: 'references/_row-edit', status });
  }

  async function findOr404(id: number) {
    const item = await service.findReference(app.db, kind, id);
    if (!item) throw new NotFoundError();
    return item;
  }

  const list = async (req: FastifyRequest<ListReq>, reply: FastifyReply) => {
    const data = await listData(req, { search: req.query.q, showArchived: truthy(req.query.archived) });
    return reply.page('references/index', data, { fragment: 'references/_list' });
  };

  const add = async (req: FastifyRequest<AddReq>, reply: FastifyReply) => {
    try {
      const item = await service.createReference(app.db, req.user!, kind, req.body);
      reply.flash('success', 'references.added', { name: item.name });
      return reply.seeOther(base);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const data = await listData(req, {});
      return reply.page('references/index', { ...data, addForm: { name: req.body.name ?? '' }, addErrors: err.fields }, { status: 422, fragment: 'references/_form' });
    }
  };

  // The row again, for "Cancel" in an inline edit; a plain visit just goes to the list.
  const showRow = async (req: FastifyRequest<IdReq>, reply: FastifyReply) => {
    const item = await findOr404(req.params.id);
    if (!wantsFragment(req)) return reply.redirect(listUrl(Boolean(item.archivedAt)), 303);
    return row(reply, item);
  };

  const edit = async (req: FastifyRequest<IdReq>, reply: FastifyReply) => {
    const item = await findOr404(req.params.id);
    return editPage(req, reply, item, { editForm: { name: item.name }, editErrors: {}, conflict: null });
  };

  const rename = async (req: FastifyRequest<RenameReq>, reply: FastifyReply) => {
    const editForm = { name: req.body.name ?? '' };
    try {
      const item = await service.renameReference(app.db, req.user!, kind, req.params.id, req.body);
      if (wantsFragment(req)) return row(reply, item);
      reply.flash('success', 'references.renamed', { name: item.name });
      return reply.seeOther(listUrl(Boolean(item.archivedAt)));
    } catch (err) {
      if (err instanceof ValidationError) {
        // Keep the version the form was opened with, so a stale edit still meets its conflict.
        const item = { ...(await findOr404(req.params.id)), version: req.body.version };
        return editPage(req, reply, item, { editForm, editErrors: err.fields, conflict: null }, 422);
      }
      if (err instanceof ConflictError) {
        const current = err.current as ReferenceItem | undefined;
        if (!current) throw new NotFoundError();
        // The form now carries the current version: saving again deliberately replaces that name.
        return editPage(req, reply, current, { editForm, editErrors: {}, conflict: { name: current.name } }, 409);
      }
      throw err;
    }
  };

  const setArchived = (archived: boolean) => async (req: FastifyRequest<ArchiveReq>, reply: FastifyReply) => {
    const showArchived = truthy(req.body.archived);
    const item = await service.setReferenceArchived(app.db, req.user!, kind, req.params.id, archived);
    // htmx: the row stays in place, greyed with Restore (or back to normal), so an archive is undone in one click.
    if (wantsFragment(req)) return row(reply, item, showArchived);
    reply.flash('success', archived ? 'references.archived' : 'references.restored', { name: item.name });
    return reply.seeOther(listUrl(showArchived));
  };

  return { list, add, row: showRow, edit, rename, archive: setArchived(true), restore: setArchived(false) };
}
