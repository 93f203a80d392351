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

/**
 * Regions, activity types and categories: one set of routes per list under a fixed path, so an
 * unknown list is the router's plain 404 and the route table names every URL the access walk checks.
 */
export default async function referenceRoutes(app: FastifyInstance) {
  app.get('/references', { config: { access: 'user' }, schema: { querystring: NoQuery } }, async (_req, reply) => reply.redirect(`/references/${REFERENCE_KINDS[0]}`, 302));
  for (const kind of REFERENCE_KINDS) registerList(app, kind);
}

function registerList(app: FastifyInstance, kind: ReferenceKind) {
  const user = { access: 'user' as const };
  const secretary = { access: 'secretary' as const };
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

  app.get<{ Querystring: { q?: string; archived?: string } }>(base, { config: user, schema: { querystring: ListQuery } }, async (req, reply) => {
    const data = await listData(req, { search: req.query.q, showArchived: truthy(req.query.archived) });
    return reply.page('references/index', data, { fragment: 'references/_list' });
  });

  app.post<{ Body: { name?: string } }>(base, { config: secretary, schema: { body: NameBody } }, async (req, reply) => {
    try {
      const item = await service.createReference(app.db, req.user!, kind, req.body);
      reply.flash('success', 'references.added', { name: item.name });
      return reply.seeOther(base);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const data = await listData(req, {});
      return reply.page('references/index', { ...data, addForm: { name: req.body.name ?? '' }, addErrors: err.fields }, { status: 422, fragment: 'references/_form' });
    }
  });

  // The row again, for "Cancel" in an inline edit; a plain visit just goes to the list.
  app.get<IdReq>(`${base}/:id`, { config: user, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const item = await findOr404(req.params.id);
    if (!wantsFragment(req)) return reply.redirect(listUrl(Boolean(item.archivedAt)), 303);
    return row(reply, item);
  });

  app.get<IdReq>(`${base}/:id/edit`, { config: secretary, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const item = await findOr404(req.params.id);
    return editPage(req, reply, item, { editForm: { name: item.name }, editErrors: {}, conflict: null });
  });

  app.post<IdReq & { Body: { name?: string; version: number } }>(
    `${base}/:id`,
    { config: secretary, schema: { params: IdParams, body: RenameBody } },
    async (req, reply) => {
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
    },
  );

  for (const action of ['archive', 'restore'] as const) {
    app.post<IdReq & { Body: { archived?: string } }>(
      `${base}/:id/${action}`,
      { config: secretary, schema: { params: IdParams, body: ArchiveBody } },
      async (req, reply) => {
        const showArchived = truthy(req.body.archived);
        const item = await service.setReferenceArchived(app.db, req.user!, kind, req.params.id, action === 'archive');
        // htmx: the row stays in place, greyed with Restore (or back to normal), so an archive is undone in one click.
        if (wantsFragment(req)) return row(reply, item, showArchived);
        reply.flash('success', action === 'archive' ? 'references.archived' : 'references.restored', { name: item.name });
        return reply.seeOther(listUrl(showArchived));
      },
    );
  }
}
