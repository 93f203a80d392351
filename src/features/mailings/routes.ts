import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Form, Id, IdParams, IdText, Line, NoQuery, Query, SafeLines, SafeText, Type, UploadQuery, Word } from '../../lib/schemas.js';
import { MAIL_CATEGORIES, MAILING_KINDS, MAILING_STATES, type MailingState } from '../../db/schema/mailings.js';
import { BrowserMissingError } from '../../lib/browser.js';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../../lib/errors.js';
import { JobError, type JobContext } from '../../lib/jobs.js';
import { translator } from '../../i18n/index.js';
import { VIEWS_DIR } from '../../plugins/render.js';
import { todayIso } from '../documents/dates.js';
import { contentDisposition, INLINE_TYPES } from '../documents/files.js';
import { readDocumentUpload } from '../documents/upload.js';
import { viewHelpers } from '../documents/list.js';
import { loadPicker } from '../choices/picker.js';
import { ENVELOPE_FORMAT_LIST, envelopeCss, parseFormat } from '../envelopes/formats.js';
import { LABEL_SHEET_LIST, labelRun, labelsCss, paginateLabels, parseSheet, parseStart, perSheet } from '../envelopes/labels.js';
import { PdfTimeoutError, sharedPdfEngine, type RenderRequest } from '../envelopes/pdf-engine.js';
import { envelopesFor } from '../envelopes/service.js';
import { getOwnOrganization } from '../envelopes/sender.js';
import { parseSelection, parseSelectionOrg, selectionQuery, type Selection } from '../../lib/search/selection.js';
import { form103Csv, form103Pdf, form103Xlsx, type Form103Batch } from './form103.js';
import { addresseeOf, addressLineOf, form103ItemOf, canInclude, isEditable, isTracked, nextState, PRINT_CHOICES, printChoiceOf, readMailingForm, type MailingInput } from './model.js';
import * as q from './queries.js';
import * as service from './service.js';
import { historyOf } from '../audit/service.js';

const ListQuery = Query({ before: IdText() });
const SelectionFields = { q: SafeText(500), org: IdText('none'), group_by: Word(20), approx: Word(5) };
const NewQuery = Query({ group: IdText(), from: Word(20), ...SelectionFields });
const MailingForm = Form({ subject: Line(), kind: Word(), category: Word(), print: Word(), mailDate: Line(40), groupId: Line(20), source: Word(), ...SelectionFields });
const ShowQuery = Query({ all: Word(5) });
const VersionForm = Form({ version: Line(20) });
const StateForm = Form({ version: Line(20), to: Word() });
const AddForm = Form({ version: Line(20), personId: Line(20), personId_find: Line(500), organizationId: Line(20), organizationId_find: Line(500) });
const TrackingForm = Form({ version: Line(20), tracking: Line(100) });
const PasteForm = Form({ version: Line(20), paste: SafeLines(400_000) });
const RecipientParams = Type.Object({ id: Id, recipientId: Id });
const PrintQuery = Query({ format: SafeText(40), numbers: Word(5) });
const LabelsQuery = Query({ sheet: SafeText(40), start: SafeText(10), numbers: Word(5) });
type IdReq = { Params: { id: number } };
type RecipientReq = { Params: { id: number; recipientId: number } };

/** Recipients shown on the page at once; the rest behind "show all" (a mailing may have 10,000). */
const SHOWN = 300;

export const CREATE_JOB = 'mailings.create';
export const REGISTER_JOB = 'mailings.register';
export const ENVELOPES_JOB = 'mailings.envelopes';
export const FORM103_JOB = 'mailings.form103';
export const LABELS_JOB = 'mailings.labels';
interface CreateJob {
  input: MailingInput;
  source: service.MailingSourceInput;
}
interface RegisterJob {
  id: number;
  version: number;
}
interface LabelsJob {
  id: number;
  sheet: string;
  start: number;
}
interface Form103Job {
  id: number;
  locale: 'ru' | 'en';
}
interface EnvelopesJob {
  id: number;
  format: string;
  numbers: boolean;
}

/** The envelope face is a Russian Post form whatever language the page around it is in. */
const face = translator('ru');
const PRINT_CSS = readFileSync(path.resolve(VIEWS_DIR, '../public/print.css'), 'utf8');

const versionOf = (body: { version?: string } | undefined) => Number(body?.version ?? 0) || 0;
const positive = (v: unknown) => (typeof v === 'string' && /^\d{1,9}$/.test(v) && Number(v) > 0 ? Number(v) : null);

export default async function mailingRoutes(app: FastifyInstance) {
  const db = app.db;
  const engine = sharedPdfEngine(app);
  /** More recipients than this: creating, registering and printing run as jobs with progress. */
  const threshold = () => app.config.mailingJobThreshold;

  async function load(id: number) {
    const m = await q.findMailing(db, id);
    if (!m) throw new NotFoundError();
    return m;
  }

  // ---- list ----

  app.get<{ Querystring: Static<typeof ListQuery> }>('/mailings', { config: { access: 'user' }, schema: { querystring: ListQuery } }, async (req, reply) => {
    const list = await q.listMailings(db, positive(req.query.before));
    const older = list.more ? `/mailings?before=${list.rows[list.rows.length - 1].id}` : null;
    return reply.page('mailings/index', { ...list, older, ...viewHelpers(req.locale, req.t), pageTitle: req.t('mailings.title') });
  });

  // ---- creating: from a group, or from the /contacts selection ----

  function selectionOf(query: Record<string, string | undefined>): Selection {
    return parseSelection(query, parseSelectionOrg(query.org));
  }

  async function newData(form: Record<string, unknown>, errors: FieldErrors = {}) {
    const fromSelection = form.source === 'selection';
    const groups = fromSelection ? [] : await q.activeGroups(db);
    const selection = fromSelection ? selectionOf(form as Record<string, string>) : null;
    const selectionCount = selection ? (await q.selectionPersonIds(db, selection)).length : null;
    return { form, errors, groups, selection, selectionCount, selectionQuery: selection ? selectionQuery(selection) : '', kinds: MAILING_KINDS, categories: MAIL_CATEGORIES, printChoices: PRINT_CHOICES, formats: ENVELOPE_FORMAT_LIST, sheets: LABEL_SHEET_LIST };
  }

  app.get<{ Querystring: Static<typeof NewQuery> }>('/mailings/new', { config: { access: 'secretary' }, schema: { querystring: NewQuery } }, async (req, reply) => {
    const own = await getOwnOrganization(db);
    const form = {
      ...req.query,
      source: req.query.from === 'selection' ? 'selection' : 'group',
      groupId: req.query.group ?? '',
      kind: 'registered',
      category: 'letter',
      print: `envelopes:${own.defaultFormat}`,
      mailDate: todayIso(),
    };
    return reply.page('mailings/new', { ...(await newData(form)), pageTitle: req.t('mailings.new') });
  });

  app.post<{ Body: Static<typeof MailingForm> }>('/mailings', { config: { access: 'secretary' }, schema: { body: MailingForm } }, async (req, reply) => {
    const body = req.body ?? {};
    try {
      const input = readMailingForm(body);
      let source: service.MailingSourceInput;
      let size: number;
      let sourceName: string;
      if (body.source === 'selection') {
        source = { selection: selectionOf(body) };
        size = (await q.selectionPersonIds(db, source.selection)).length;
        sourceName = req.t('mailings.source.selection');
      } else {
        const groupId = positive(body.groupId);
        if (!groupId) throw new ValidationError({ groupId: { key: 'mailings.chooseGroup' } });
        const group = await q.findGroup(db, groupId);
        if (!group) throw new ValidationError({ groupId: { key: 'validation.choose' } });
        source = { groupId };
        size = await q.countMembers(db, groupId);
        sourceName = group.name;
      }
      if (size > threshold()) {
        const payload: CreateJob = { input, source };
        const job = await app.jobs.enqueue(CREATE_JOB, payload, { owner: req.user!, dedupeKey: JSON.stringify(payload), titleParams: { name: sourceName, count: size }, total: size });
        reply.flash('info', job.deduped ? 'jobs.deduped' : 'jobs.started');
        return reply.seeOther(`/jobs/${job.id}`);
      }
      const m = await service.createMailing(db, req.user!, input, source);
      reply.flash('success', 'mailings.created', { subject: m.subject });
      return reply.seeOther(`/mailings/${m.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return reply.page('mailings/new', { ...(await newData(body, err.fields)), pageTitle: req.t('mailings.new') }, { status: 422 });
    }
  });

  app.jobs.registerHandler<CreateJob>(CREATE_JOB, {
    title: 'mailings.job.create',
    shared: 'secretaries',
    async run(ctx) {
      const actor = await service.jobActor(db, ctx.ownerId);
      try {
        const m = await service.createMailing(db, actor, ctx.payload.input, ctx.payload.source, (done, total, phase) => ctx.progress(done, total, phase));
        return { link: `/mailings/${m.id}`, report: { mailingId: m.id } };
      } catch (err) {
        if (err instanceof ValidationError) {
          const first = Object.values(err.fields)[0];
          throw new JobError(first.key, first.params);
        }
        throw err;
      }
    },
  });

  // ---- the mailing's page ----

  async function showData(req: FastifyRequest, m: q.MailingView, errors: FieldErrors = {}, extra: Record<string, unknown> = {}) {
    const all = (req.query as { all?: string } | undefined)?.all === '1';
    const [included, excluded, letter, fingerprint, history, personPicker, organizationPicker] = await Promise.all([
      q.recipientsOf(db, m.id, { excluded: false, limit: all ? undefined : SHOWN }),
      q.recipientsOf(db, m.id, { excluded: true, limit: all ? undefined : SHOWN }),
      q.letterOf(db, m.id),
      m.groupId && isEditable(m) ? q.groupFingerprint(db, m.groupId) : null,
      historyOf(db, 'mailing', m.id),
      isEditable(m) ? loadPicker(db, 'person', 'personId', { find: extra.personFind }) : null,
      isEditable(m) ? loadPicker(db, 'organization', 'organizationId', { find: extra.organizationFind }) : null,
    ]);
    return {
      m,
      included,
      excluded,
      all,
      shown: SHOWN,
      letter,
      groupChanged: fingerprint !== null && fingerprint !== m.sourceFingerprint,
      editable: isEditable(m),
      tracked: isTracked(m.kind),
      next: nextState(m.state),
      canInclude,
      history,
      personPicker,
      organizationPicker,
      errors,
      printChoice: printChoiceOf(m),
      inlineTypes: INLINE_TYPES,
      ...viewHelpers(req.locale, req.t),
      pageTitle: m.subject,
      ...extra,
    };
  }

  app.get<IdReq & { Querystring: Static<typeof ShowQuery> }>('/mailings/:id', { config: { access: 'user' }, schema: { params: IdParams, querystring: ShowQuery } }, async (req, reply) => {
    const m = await load(req.params.id);
    return reply.page('mailings/show', await showData(req, m));
  });

  /**
   * Runs a change from the page; a refusal shows the page again with the reason (422), a stale
   * form (someone changed the mailing since it was opened) with a 409 notice; nothing is changed.
   */
  async function act(req: FastifyRequest<IdReq>, reply: FastifyReply, change: () => Promise<string | void>, extra: Record<string, unknown> = {}) {
    try {
      const to = await change();
      return reply.seeOther(to ?? `/mailings/${req.params.id}`);
    } catch (err) {
      if (err instanceof ValidationError) return reply.page('mailings/show', await showData(req, await load(req.params.id), err.fields, extra), { status: 422 });
      if (err instanceof ConflictError) {
        return reply.page('mailings/show', await showData(req, await load(req.params.id), {}, { ...extra, conflictKey: err.messageKey }), { status: 409 });
      }
      throw err;
    }
  }

  app.post<IdReq & { Body: Static<typeof VersionForm> }>('/mailings/:id/refresh', { config: { access: 'secretary' }, schema: { params: IdParams, body: VersionForm } }, async (req, reply) =>
    act(req, reply, async () => {
      const r = await service.refreshRecipients(db, req.user!, req.params.id, versionOf(req.body));
      reply.flash('success', 'mailings.refreshed', { count: r.after });
    }),
  );

  const setIncluded = (include: boolean) => async (req: FastifyRequest<RecipientReq & { Body: Static<typeof VersionForm> }>, reply: FastifyReply) =>
    act(req, reply, async () => {
      await service.setRecipientIncluded(db, req.user!, req.params.id, versionOf(req.body), req.params.recipientId, include);
    });
  const recipientOptions = { config: { access: 'secretary' as const }, schema: { params: RecipientParams, body: VersionForm } };
  app.post<RecipientReq & { Body: Static<typeof VersionForm> }>('/mailings/:id/recipients/:recipientId/exclude', recipientOptions, setIncluded(false));
  app.post<RecipientReq & { Body: Static<typeof VersionForm> }>('/mailings/:id/recipients/:recipientId/include', recipientOptions, setIncluded(true));

  app.post<IdReq & { Body: Static<typeof AddForm> }>('/mailings/:id/recipients', { config: { access: 'secretary' }, schema: { params: IdParams, body: AddForm } }, async (req, reply) => {
    const body = req.body ?? {};
    return act(
      req,
      reply,
      async () => {
        const personId = positive(body.personId);
        const organizationId = positive(body.organizationId);
        if (!personId && !organizationId) throw new ValidationError({ personId: { key: 'mailings.chooseRecipient' } });
        if (personId && organizationId) throw new ValidationError({ personId: { key: 'mailings.chooseOne' } });
        const name = await service.addRecipient(db, req.user!, req.params.id, versionOf(body), personId ? { personId } : { organizationId: organizationId! });
        reply.flash('success', 'mailings.recipientAdded', { name });
      },
      { personFind: body.personId_find, organizationFind: body.organizationId_find },
    );
  });

  app.post<IdReq & { Body: Static<typeof VersionForm> }>('/mailings/:id/register', { config: { access: 'secretary' }, schema: { params: IdParams, body: VersionForm } }, async (req, reply) =>
    act(req, reply, async () => {
      const m = await load(req.params.id);
      const version = versionOf(req.body);
      if (m.registeredAt) throw new ConflictError('mailings.alreadyRegistered');
      if (m.version !== version) throw new ConflictError('mailings.stale');
      if (m.included > threshold()) {
        const payload: RegisterJob = { id: m.id, version };
        const job = await app.jobs.enqueue(REGISTER_JOB, payload, { owner: req.user!, dedupeKey: `mailing-register:${m.id}`, titleParams: { name: m.subject, count: m.included }, total: m.included });
        reply.flash('info', job.deduped ? 'jobs.deduped' : 'jobs.started');
        return `/jobs/${job.id}`;
      }
      const r = await service.registerMailing(db, req.user!, m.id, version);
      reply.flash('success', 'mailings.registered', { count: r.count, first: r.first, last: r.last });
    }),
  );

  app.jobs.registerHandler<RegisterJob>(REGISTER_JOB, {
    title: 'mailings.job.register',
    shared: 'secretaries',
    origin: (p) => ({ href: `/mailings/${p.id}`, label: 'mailings.job.origin' }),
    async run(ctx) {
      const actor = await service.jobActor(db, ctx.ownerId);
      try {
        const r = await service.registerMailing(db, actor, ctx.payload.id, ctx.payload.version, (done, total, phase) => ctx.progress(done, total, phase));
        return { link: `/mailings/${ctx.payload.id}`, report: r };
      } catch (err) {
        if (err instanceof ValidationError) {
          const first = Object.values(err.fields)[0];
          throw new JobError(first.key, first.params);
        }
        if (err instanceof ConflictError) throw new JobError(err.messageKey);
        throw err;
      }
    },
  });

  app.post<IdReq & { Body: Static<typeof StateForm> }>('/mailings/:id/state', { config: { access: 'secretary' }, schema: { params: IdParams, body: StateForm } }, async (req, reply) =>
    act(req, reply, async () => {
      const to = req.body?.to ?? '';
      if (!(MAILING_STATES as readonly string[]).includes(to)) throw new ValidationError({ state: { key: 'validation.choose' } });
      const m = await service.advanceState(db, req.user!, req.params.id, versionOf(req.body), to as MailingState);
      reply.flash('success', 'mailings.stateChanged', { state: req.t(`mailings.state.${m.state}`) });
    }),
  );

  app.post<RecipientReq & { Body: Static<typeof TrackingForm> }>(
    '/mailings/:id/recipients/:recipientId/tracking',
    { config: { access: 'secretary' }, schema: { params: RecipientParams, body: TrackingForm } },
    async (req, reply) =>
      act(req, reply, async () => {
        await service.setTracking(db, req.user!, req.params.id, versionOf(req.body), req.params.recipientId, req.body?.tracking ?? '');
        reply.flash('success', 'mailings.tracking.saved');
        return `/mailings/${req.params.id}#r${req.params.recipientId}`;
      }),
  );

  app.post<IdReq & { Body: Static<typeof PasteForm> }>('/mailings/:id/tracking', { config: { access: 'secretary' }, schema: { params: IdParams, body: PasteForm } }, async (req, reply) =>
    act(
      req,
      reply,
      async () => {
        const n = await service.pasteTracking(db, req.user!, req.params.id, versionOf(req.body), req.body?.paste ?? '');
        reply.flash('success', 'mailings.tracking.pasted', { count: n });
      },
      { paste: req.body?.paste ?? '' },
    ),
  );

  // ---- the letter ----

  app.post<IdReq>('/mailings/:id/letter', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: UploadQuery } }, async (req, reply) => {
    await load(req.params.id);
    const upload = await readDocumentUpload(req, { fileBytes: 20 * 1024 * 1024, documentBytes: 20 * 1024 * 1024, files: 1 });
    return act(req, reply, async () => {
      if (upload.errors.files) throw new ValidationError({ letter: upload.errors.files });
      if (upload.files.length === 0) throw new ValidationError({ letter: { key: 'documents.file.choose' } });
      await service.setLetter(db, req.user!, req.params.id, upload.files[0]);
      reply.flash('success', 'mailings.letterSaved', { name: upload.files[0].fileName });
    });
  });

  app.post<IdReq>('/mailings/:id/letter/delete', { config: { access: 'secretary' }, schema: { params: IdParams, body: Form({}) } }, async (req, reply) =>
    act(req, reply, async () => {
      await service.removeLetter(db, req.user!, req.params.id);
    }),
  );

  app.get<IdReq & { Querystring: { inline?: string } }>(
    '/mailings/:id/letter',
    { config: { access: 'user' }, schema: { params: IdParams, querystring: Query({ inline: Word(5) }) } },
    async (req, reply) => {
      const file = await q.letterWithBytes(db, req.params.id);
      if (!file) throw new NotFoundError();
      const inline = req.query.inline === '1' && INLINE_TYPES.has(file.contentType);
      return reply
        .header('Content-Disposition', contentDisposition(file.fileName, inline ? 'inline' : 'attachment'))
        .header('X-Content-Type-Options', 'nosniff')
        .header('Cache-Control', 'private, no-store')
        .type(file.contentType)
        .send(file.content);
    },
  );

  // ---- envelopes and labels for exactly the included recipients ----

  async function printRun(id: number, rawFormat: string | undefined, numbers: boolean) {
    const m = await load(id);
    const own = await getOwnOrganization(db);
    const format = parseFormat(rawFormat ?? (m.printMode === 'envelopes' ? m.printFormat : undefined), own.defaultFormat);
    const recipients = await q.recipientsOf(db, id, { excluded: false });
    const addressees = recipients.map(addresseeOf);
    const run = envelopesFor(addressees, format, own, numbers ? (_a, i) => recipients[i].regNumber : undefined);
    return { m, format, run };
  }

  function nothing(reply: FastifyReply, m: q.MailingView, status: number) {
    return reply.page('mailings/nothing', { m, pageTitle: m.subject }, { status });
  }

  function pdfFailure(err: unknown): never {
    if (err instanceof BrowserMissingError) throw new JobError('envelopes.browserMissing');
    if (err instanceof PdfTimeoutError) throw new JobError('envelopes.pdfFailed');
    throw err;
  }

  const envelopeJob = (m: { subject: string }, run: ReturnType<typeof envelopesFor>, format: ReturnType<typeof parseFormat>): RenderRequest<(typeof run.envelopes)[number]> => ({
    items: run.envelopes,
    css: `${PRINT_CSS}\n${envelopeCss(format)}`,
    html: (batch) => app.view('envelopes/pdf', { envelopes: batch, sender: run.sender, face, forPdf: true, locale: 'ru', pageTitle: m.subject }),
  });

  app.get<IdReq & { Querystring: Static<typeof PrintQuery> }>('/mailings/:id/envelopes', { config: { access: 'user' }, schema: { params: IdParams, querystring: PrintQuery } }, async (req, reply) => {
    const numbers = req.query.numbers === '1';
    const { m, format, run } = await printRun(req.params.id, req.query.format, numbers);
    if (run.envelopes.length === 0) return nothing(reply, m, 200);
    const base = `/mailings/${m.id}/envelopes`;
    const keep = numbers ? '&numbers=1' : '';
    return reply.fragment('envelopes/print', {
      ...run,
      skipped: [],
      target: { kind: 'mailing', id: m.id, name: m.subject, backUrl: `/mailings/${m.id}` },
      backLabel: req.t('mailings.backTo', { subject: m.subject }),
      htmlUrl: `${base}?format=${format.id}${keep}`,
      pdfUrl: `${base}.pdf?format=${format.id}${keep}`,
      formatUrl: (id: string) => `${base}?format=${id}${keep}`,
      labelsUrl: `/mailings/${m.id}/labels`,
      pageCssUrl: `/envelopes/style.css?format=${format.id}`,
      format,
      formats: ENVELOPE_FORMAT_LIST,
      face,
      pageTitle: req.t('mailings.envelopesTitle', { subject: m.subject }),
      large: run.envelopes.length > engine.batchSize,
      batchSize: engine.batchSize,
    });
  });

  app.get<IdReq & { Querystring: Static<typeof PrintQuery> }>('/mailings/:id/envelopes.pdf', { config: { access: 'user' }, schema: { params: IdParams, querystring: PrintQuery } }, async (req, reply) => {
    const numbers = req.query.numbers === '1';
    const { m, format, run } = await printRun(req.params.id, req.query.format, numbers);
    if (run.envelopes.length === 0) return nothing(reply, m, 422);
    if (run.envelopes.length > app.config.jobPdfThreshold) {
      const payload: EnvelopesJob = { id: m.id, format: format.id, numbers };
      const job = await app.jobs.enqueue(ENVELOPES_JOB, payload, { owner: req.user!, dedupeKey: JSON.stringify(payload), titleParams: { name: m.subject, count: run.envelopes.length } });
      reply.flash('info', job.deduped ? 'jobs.deduped' : 'jobs.started');
      return reply.seeOther(`/jobs/${job.id}`);
    }
    let pdf: Uint8Array;
    try {
      pdf = await engine.render(envelopeJob(m, run, format));
    } catch (err) {
      if (err instanceof BrowserMissingError || err instanceof PdfTimeoutError) {
        req.log.warn({ err: (err as Error).message }, 'mailing envelopes PDF unavailable');
        return reply.page('envelopes/unavailable', { messageKey: err instanceof BrowserMissingError ? 'envelopes.browserMissing' : 'envelopes.pdfFailed', htmlUrl: `/mailings/${m.id}/envelopes` }, { status: 503 });
      }
      throw err;
    }
    return reply
      .type('application/pdf')
      .header('Content-Disposition', `inline; filename="mailing-${m.id}-envelopes-${format.id}.pdf"`)
      .header('Cache-Control', 'private, no-store')
      .send(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
  });

  app.jobs.registerHandler<EnvelopesJob>(ENVELOPES_JOB, {
    title: 'mailings.job.envelopes',
    private: true,
    async run(ctx: JobContext<EnvelopesJob>) {
      const { m, format, run } = await printRun(ctx.payload.id, ctx.payload.format, ctx.payload.numbers);
      if (run.envelopes.length === 0) throw new JobError('envelopes.nobodyPrintable');
      try {
        ctx.progress(0, run.envelopes.length, 'envelopes.job.phase');
        const pdf = await engine.render({ ...envelopeJob(m, run, format), signal: ctx.signal, onProgress: (p) => ctx.progress(p.done, p.total, 'envelopes.job.phase') });
        return { file: { name: `mailing-${m.id}-envelopes-${format.id}.pdf`, type: 'application/pdf', bytes: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength) }, report: { count: run.envelopes.length, skipped: 0 }, link: `/mailings/${m.id}` };
      } catch (err) {
        return pdfFailure(err);
      }
    },
  });

  async function labelsRun(id: number, query: { sheet?: string; start?: string }) {
    const m = await load(id);
    const sheet = parseSheet(query.sheet ?? (m.printMode === 'labels' ? m.printFormat : undefined));
    const start = parseStart(query.start, sheet);
    const labels = labelRun((await q.recipientsOf(db, m.id, { excluded: false })).map(addresseeOf), sheet);
    return { m, sheet, start, labels };
  }

  const labelsJob = (m: { subject: string }, run: Awaited<ReturnType<typeof labelsRun>>): RenderRequest<(typeof run.labels[number] | null)[]> => ({
    // Batches are whole sheets, so the blank places at the start stay on the first sheet only.
    items: paginateLabels(run.labels, run.sheet, run.start),
    css: `${PRINT_CSS}\n${labelsCss(run.sheet)}`,
    batchSize: Math.max(1, Math.floor(engine.batchSize / perSheet(run.sheet))),
    html: (batch) => app.view('envelopes/labels-pdf', { sheets: batch, forPdf: true, locale: 'ru', pageTitle: m.subject }),
  });

  app.get<IdReq & { Querystring: Static<typeof LabelsQuery> }>('/mailings/:id/labels', { config: { access: 'user' }, schema: { params: IdParams, querystring: LabelsQuery } }, async (req, reply) => {
    const run = await labelsRun(req.params.id, req.query);
    const { m, sheet, start, labels } = run;
    if (labels.length === 0) return nothing(reply, m, 200);
    return reply.fragment('envelopes/labels', {
      target: { kind: 'mailing', id: m.id, name: m.subject, backUrl: `/mailings/${m.id}` },
      backLabel: req.t('mailings.backTo', { subject: m.subject }),
      sheet,
      start,
      sheets: paginateLabels(labels, sheet, start),
      count: labels.length,
      skipped: [],
      sheetList: LABEL_SHEET_LIST,
      maxStart: perSheet(sheet),
      pdfUrl: `/mailings/${m.id}/labels.pdf?sheet=${sheet.id}&start=${start}`,
      labelsAction: `/mailings/${m.id}/labels`,
      envelopesUrl: `/mailings/${m.id}/envelopes`,
      pageCssUrl: `/labels/style.css?sheet=${sheet.id}`,
      pageTitle: req.t('labels.title', { name: m.subject }),
    });
  });

  app.get<IdReq & { Querystring: Static<typeof LabelsQuery> }>('/mailings/:id/labels.pdf', { config: { access: 'user' }, schema: { params: IdParams, querystring: LabelsQuery } }, async (req, reply) => {
    const run = await labelsRun(req.params.id, req.query);
    const { m, sheet, start, labels } = run;
    if (labels.length === 0) return nothing(reply, m, 422);
    if (labels.length > app.config.jobPdfThreshold) {
      const payload: LabelsJob = { id: m.id, sheet: sheet.id, start };
      const job = await app.jobs.enqueue(LABELS_JOB, payload, { owner: req.user!, dedupeKey: JSON.stringify(payload), titleParams: { name: m.subject, count: labels.length } });
      reply.flash('info', job.deduped ? 'jobs.deduped' : 'jobs.started');
      return reply.seeOther(`/jobs/${job.id}`);
    }
    let pdf: Uint8Array;
    try {
      pdf = await engine.render(labelsJob(m, run));
    } catch (err) {
      if (err instanceof BrowserMissingError || err instanceof PdfTimeoutError) {
        req.log.warn({ err: (err as Error).message }, 'mailing labels PDF unavailable');
        return reply.page('envelopes/unavailable', { messageKey: err instanceof BrowserMissingError ? 'envelopes.browserMissing' : 'envelopes.pdfFailed', htmlUrl: `/mailings/${m.id}/labels` }, { status: 503 });
      }
      throw err;
    }
    return reply
      .type('application/pdf')
      .header('Content-Disposition', `inline; filename="mailing-${m.id}-labels-${sheet.id}.pdf"`)
      .header('Cache-Control', 'private, no-store')
      .send(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
  });

  app.jobs.registerHandler<LabelsJob>(LABELS_JOB, {
    title: 'mailings.job.labels',
    private: true,
    async run(ctx: JobContext<LabelsJob>) {
      const run = await labelsRun(ctx.payload.id, { sheet: ctx.payload.sheet, start: String(ctx.payload.start) });
      if (run.labels.length === 0) throw new JobError('envelopes.nobodyPrintable');
      try {
        const job = labelsJob(run.m, run);
        ctx.progress(0, job.items.length, 'labels.job.phase');
        const pdf = await engine.render({ ...job, signal: ctx.signal, onProgress: (p) => ctx.progress(p.done, p.total, 'labels.job.phase') });
        return { file: { name: `mailing-${run.m.id}-labels-${run.sheet.id}.pdf`, type: 'application/pdf', bytes: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength) }, report: { count: run.labels.length, skipped: 0 }, link: `/mailings/${run.m.id}` };
      } catch (err) {
        return pdfFailure(err);
      }
    },
  });

  // ---- form 103: the batch list for the post office (PDF), and the same rows as CSV / XLSX ----

  /** The mailing's included recipients in their order, as Russian Post's batch list. */
  async function form103Batch(m: q.MailingView, locale: 'ru' | 'en'): Promise<Form103Batch> {
    const t = translator(locale);
    const [own, recipients] = await Promise.all([getOwnOrganization(db), q.recipientsOf(db, m.id, { excluded: false })]);
    return {
      kind: m.kind,
      category: t(`mailings.category.${m.category}`),
      sender: { name: own.name, address: addressLineOf(own, 'organization') },
      date: new Date(`${m.mailDate}T12:00:00`),
      items: recipients.map(form103ItemOf),
      locale,
    };
  }

  const form103Name = (m: { id: number }, ext: string) => `form103-mailing-${m.id}.${ext}`;

  app.get<IdReq>('/mailings/:id/form103.pdf', { config: { access: 'user' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const m = await load(req.params.id);
    if (m.included === 0) return nothing(reply, m, 422);
    if (m.included > threshold()) {
      const payload: Form103Job = { id: m.id, locale: req.locale };
      const job = await app.jobs.enqueue(FORM103_JOB, payload, { owner: req.user!, dedupeKey: JSON.stringify(payload), titleParams: { name: m.subject, count: m.included } });
      reply.flash('info', job.deduped ? 'jobs.deduped' : 'jobs.started');
      return reply.seeOther(`/jobs/${job.id}`);
    }
    let pdf: Buffer;
    try {
      pdf = await form103Pdf(await form103Batch(m, req.locale), engine);
    } catch (err) {
      if (err instanceof BrowserMissingError || err instanceof PdfTimeoutError) {
        req.log.warn({ err: (err as Error).message }, 'form 103 PDF unavailable');
        return reply.page('envelopes/unavailable', { messageKey: err instanceof BrowserMissingError ? 'envelopes.browserMissing' : 'envelopes.pdfFailed', htmlUrl: `/mailings/${m.id}/form103.csv` }, { status: 503 });
      }
      throw err;
    }
    return reply.type('application/pdf').header('Content-Disposition', contentDisposition(form103Name(m, 'pdf'), 'inline')).header('Cache-Control', 'private, no-store').send(pdf);
  });

  app.jobs.registerHandler<Form103Job>(FORM103_JOB, {
    title: 'mailings.job.form103',
    private: true,
    async run(ctx) {
      const m = await load(ctx.payload.id);
      ctx.progress(0, m.included, 'mailings.job.form103Phase');
      try {
        const bytes = await form103Pdf(await form103Batch(m, ctx.payload.locale), engine);
        return { file: { name: form103Name(m, 'pdf'), type: 'application/pdf', bytes }, report: { count: m.included, skipped: 0 }, link: `/mailings/${m.id}` };
      } catch (err) {
        return pdfFailure(err);
      }
    },
  });

  app.get<IdReq>('/mailings/:id/form103.csv', { config: { access: 'user' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const m = await load(req.params.id);
    if (m.included === 0) return nothing(reply, m, 422);
    const csv = form103Csv(await form103Batch(m, req.locale));
    return reply.type('text/csv; charset=utf-8').header('Content-Disposition', contentDisposition(form103Name(m, 'csv'), 'attachment')).header('Cache-Control', 'private, no-store').send(csv);
  });

  app.get<IdReq>('/mailings/:id/form103.xlsx', { config: { access: 'user' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const m = await load(req.params.id);
    if (m.included === 0) return nothing(reply, m, 422);
    const xlsx = await form103Xlsx(await form103Batch(m, req.locale));
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('Content-Disposition', contentDisposition(form103Name(m, 'xlsx'), 'attachment'))
      .header('Cache-Control', 'private, no-store')
      .send(xlsx);
  });
}
