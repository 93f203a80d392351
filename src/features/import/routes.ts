import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Form, IdParams, Next, NoQuery, Query, Type, UploadQuery, Word } from '../../lib/schemas.js';
import { ValidationError } from '../../lib/errors.js';
import { linkBuilder, pagerLinks } from '../../lib/keyset.js';
import { type ImportBatch } from '../../db/schema/imports.js';
import { liveProgress } from './commit/run.js';
import { COMMIT_JOB, registerImportJobs, UNDO_JOB } from './jobs.js';
import { readOptions } from './options.js';
import { addressText, existingOrganizationNames, normalizeKey, problemText } from './preview/view.js';
import { listRows, personNames, recentBatches, ROW_FILTERS, rowCounts, type RowFilter } from './queries.js';
import * as service from './service.js';
import { laterBatches, UndoBlockedError, type LaterBatch } from './commit/undo.js';
import { MappingRefusedError, rereadBatch, savedMappings } from './read/table-mapping.js';
import { updateChanges } from './preview/update-changes.js';
import { USER_TARGETS } from './parse/index.js';

// Row cursors are row numbers (checked again where they are read).
const RowCursor = Type.String({ maxLength: 9, pattern: '^[0-9]*$' });
const RowsQuery = Query({ show: Word(20), after: RowCursor, before: RowCursor, mapping: Word(1) });
// The mapping step: one `col.N` per column (checked against the fields by readMappingForm).
const MappingForm = Form({});
const SheetForm = Form({ sheet: Type.String({ maxLength: 200 }) });
// The preview's choices: `all`, `options`, `createGroups`, and one `row.N` per row shown.
const ChoicesForm = Form({ all: Word(20), options: Word(10), createGroups: Word(10), back: Next });
type IdReq = { Params: { id: number } };
type Body = Static<typeof ChoicesForm> & Record<string, unknown>;
const PAGE_SIZE = 100;
/** How long the undo request waits for its job before sending the user to the job's page. */
const UNDO_WAIT_MS = 10_000;

const cursor = (v: string | undefined) => (v && /^\d{1,9}$/.test(v) ? Number(v) : null);

export default async function importRoutes(app: FastifyInstance) {
  const db = app.db;
  const limits = { maxBytes: app.config.importMaxBytes, maxRows: app.config.importMaxRows };
  registerImportJobs(app);

  /** The batch's commit job is queued or running (on any instance): the batch is not stuck. */
  async function commitLive(batchId: number): Promise<boolean> {
    if (liveProgress(batchId)) return true;
    const job = await app.jobs.latestOf(COMMIT_JOB, { batchId });
    return job !== null && (job.state === 'queued' || job.state === 'running');
  }

  async function uploadPage(reply: FastifyReply, errors: object = {}, status = 200) {
    const batches = await recentBatches(db);
    return reply.page('import/index', { batches, errors, limits, pageTitle: reply.request.t('import.title') }, { status });
  }

  app.get('/import', { config: { access: 'secretary' }, schema: { querystring: NoQuery } }, async (_req, reply) => uploadPage(reply));

  app.post(
    '/import',
    {
      config: { access: 'secretary' },
      schema: { querystring: UploadQuery },
      // A body declared bigger than any accepted file is refused before a byte of it is read.
      onRequest: async (req, reply) => {
        try {
          service.checkDeclaredSize(req, limits);
        } catch (err) {
          reply.header('Connection', 'close');
          throw err;
        }
      },
    },
    async (req, reply) => {
      try {
        const upload = await service.readImportUpload(req, limits, () => savedMappings(db));
        const batch = await service.createImport(db, req.user!, upload);
        return reply.seeOther(`/import/${batch.id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        // The rest of an unwanted upload is not read: close the connection after answering.
        if (!req.raw.complete) reply.header('Connection', 'close');
        return uploadPage(reply, err.fields, 422);
      }
    },
  );

  /** `refused`: the undo was just refused for these later batches (the page answers with 409). */
  type PageReq = FastifyRequest<IdReq & { Querystring: { show?: string; after?: string; before?: string; mapping?: string } }>;
  /** `formError`: the mapping or sheet form was refused (the page answers with 422 and shows why). */
  async function batchPage(req: PageReq, reply: FastifyReply, batch: ImportBatch, refused?: LaterBatch[], formError?: ValidationError) {
    const live = liveProgress(batch.id);
    // The commit's job: the page links to it, where the user can watch and cancel it.
    const job = batch.status === 'committing' ? await app.jobs.latestOf(COMMIT_JOB, { batchId: batch.id }) : null;
    const stale = service.isStale(batch, batch.status === 'committing' && (Boolean(live) || (job !== null && (job.state === 'queued' || job.state === 'running'))));
    const q = req.query;
    const defaultFilter: RowFilter = batch.status === 'committed' ? 'unloaded' : 'all';
    const show: RowFilter = ROW_FILTERS.includes(q.show as RowFilter) ? (q.show as RowFilter) : defaultFilter;
    const showRows = batch.status !== 'committing' && batch.status !== 'undone';
    const [counts, page] = await Promise.all([
      rowCounts(db, batch.id),
      showRows ? listRows(db, batch.id, { filter: show, size: PAGE_SIZE, after: cursor(q.after), before: cursor(q.before) }) : Promise.resolve(null),
    ]);
    const rows = page?.rows ?? [];
    const [duplicates, orgNames, later, changes] = await Promise.all([
      personNames(db, rows.flatMap((r) => (r.duplicateId ? [r.duplicateId] : []))),
      existingOrganizationNames(db, rows),
      // The page says up front what the undo would be refused for, and offers no button then.
      refused ?? (batch.status === 'committed' ? laterBatches(db, batch.id) : []),
      // What "update" would change on each duplicate card, field by field.
      batch.status === 'preview' || batch.status === 'failed' ? updateChanges(db, rows) : new Map(),
    ]);
    const link = linkBuilder(`/import/${batch.id}`, { show: show !== defaultFilter ? show : undefined });
    // Row numbers are the cursors; the rows are read forward only (no last page).
    const pager = page && pagerLinks(page, link, (r) => String(r.rowNo), { last: false });
    return reply.page(
      'import/show',
      {
        batch,
        options: readOptions(batch.options),
        progress: live ?? { done: batch.done, total: batch.total },
        stale,
        commitJobId: job?.id ?? null,
        counts,
        page,
        rows,
        duplicates,
        changes,
        orgNames,
        show,
        filters: batch.status === 'committed' ? (['unloaded', 'failed', 'skipped', 'all'] as const) : (['all', 'problems', 'duplicates'] as const),
        // The default filter's link drops the current `show=`, so it switches back to the default.
        filterLink: (f: string) => link({ show: f === defaultFilter ? undefined : f }),
        pager,
        problemText: (p: { code: string; detail?: string }) => problemText(req.t, p),
        addressText,
        normalizeKey,
        laterBatches: later,
        undoRefused: Boolean(refused),
        errors: formError?.fields ?? {},
        userTargets: USER_TARGETS,
        showMapping: (q.mapping === '1' || formError?.fields.mapping !== undefined) && Boolean((batch.details as { table?: unknown } | null)?.table),
        mappingChoices: formError instanceof MappingRefusedError ? formError.choices : null,
        pageTitle: req.t('import.batchTitle', { id: batch.id, file: batch.fileName }),
      },
      { fragment: 'import/_status', status: refused ? 409 : formError ? 422 : 200 },
    );
  }

  app.get<IdReq & { Querystring: { show?: string; after?: string; before?: string } }>(
    '/import/:id',
    { config: { access: 'secretary' }, schema: { params: IdParams, querystring: RowsQuery } },
    async (req, reply) => batchPage(req, reply, await service.loadBatch(db, req.params.id)),
  );

  /** The batch read again with a changed column mapping or another sheet. */
  const reread = (what: 'mapping' | 'sheet') => async (req: FastifyRequest<IdReq & { Body: Body }>, reply: FastifyReply) => {
    const batch = await service.loadBatch(db, req.params.id);
    try {
      await rereadBatch(db, req.user!, batch, req.body ?? {}, limits, what);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return batchPage(req as unknown as PageReq, reply, batch, undefined, err);
    }
    return reply.seeOther(`/import/${batch.id}`);
  };
  app.post<IdReq & { Body: Body }>('/import/:id/mapping', { config: { access: 'secretary' }, schema: { params: IdParams, body: MappingForm } }, reread('mapping'));
  app.post<IdReq & { Body: Body }>('/import/:id/sheet', { config: { access: 'secretary' }, schema: { params: IdParams, body: SheetForm } }, reread('sheet'));

  app.post<IdReq & { Body: Body }>('/import/:id/decisions', { config: { access: 'secretary' }, schema: { params: IdParams, body: ChoicesForm } }, async (req, reply) => {
    await service.saveChoices(db, req.user!, req.params.id, req.body ?? {});
    reply.flash('success', 'import.choicesSaved');
    const back = typeof req.body?.back === 'string' && req.body.back.startsWith(`/import/${req.params.id}`) ? req.body.back : `/import/${req.params.id}`;
    return reply.seeOther(back);
  });

  app.post<IdReq & { Body: Body }>(
    '/import/:id/commit',
    { config: { access: 'secretary' }, schema: { params: IdParams, body: ChoicesForm } },
    async (req, reply) => {
      const id = req.params.id;
      const batch = await service.startCommit(db, req.user!, id, req.body ?? {}, await commitLive(id));
      // A job: any instance takes it (this one, another, or this one after a restart); the batch
      // page that follows shows its progress.
      try {
        await app.jobs.enqueue(COMMIT_JOB, { batchId: id }, { owner: req.user!, titleParams: { file: batch.fileName } });
      } catch (err) {
        await service.failCommit(db, id);
        throw err;
      }
      return reply.seeOther(`/import/${id}`);
    },
  );

  app.post<IdReq>('/import/:id/undo', { config: { access: 'secretary' }, schema: { params: IdParams, body: Form({}) } }, async (req, reply) => {
    const id = req.params.id;
    const batch = await service.loadBatch(db, id);
    try {
      await service.checkUndo(db, req.user!, batch);
    } catch (err) {
      if (!(err instanceof UndoBlockedError)) throw err;
      // The batch page again, with the later imports to undo first as links (nothing changed).
      return batchPage(req as FastifyRequest<IdReq & { Querystring: Record<string, never> }>, reply, batch, err.later);
    }
    // A job (durable, one at a time with commits); an undo of ordinary size is over within a few
    // seconds, and then the answer is the batch page as before; a longer one goes on in the background.
    const job = await app.jobs.enqueue(UNDO_JOB, { batchId: id }, { owner: req.user!, dedupeKey: `undo:${id}`, titleParams: { file: batch.fileName } });
    const end = await app.jobs.waitFor(job.id, UNDO_WAIT_MS);
    if (end?.state === 'done') {
      await app.jobs.markSeen(job.id);
      reply.flash('success', 'import.undone.flash');
      return reply.seeOther(`/import/${id}`);
    }
    if (end?.state === 'failed' && end.error === 'import.undo.blocked') {
      await app.jobs.markSeen(job.id);
      return batchPage(req as FastifyRequest<IdReq & { Querystring: Record<string, never> }>, reply, await service.loadBatch(db, id), await laterBatches(db, id));
    }
    if (end?.state === 'failed' && end.error) {
      await app.jobs.markSeen(job.id);
      reply.flash('error', end.error);
      return reply.seeOther(`/import/${id}`);
    }
    reply.flash('info', 'jobs.started');
    return reply.seeOther(`/jobs/${job.id}`);
  });

  app.post<IdReq>('/import/:id/discard', { config: { access: 'secretary' }, schema: { params: IdParams, body: Form({}) } }, async (req, reply) => {
    await service.discardBatch(db, req.user!, req.params.id);
    reply.flash('success', 'import.discarded');
    return reply.seeOther('/import');
  });
}
