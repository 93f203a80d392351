import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IdParams, Query, SafeText } from '../../lib/schemas.js';
import { BrowserMissingError } from '../../lib/browser.js';
import { JobError, type JobContext } from '../../lib/jobs.js';
import { translator } from '../../i18n/index.js';
import { VIEWS_DIR } from '../../plugins/render.js';
import { ENVELOPE_FORMAT_LIST, envelopeCss, parseFormat, type EnvelopeFormat } from './formats.js';
import { LABEL_SHEET_LIST, labelsCss, paginateLabels, parseSheet, parseStart, perSheet } from './labels.js';
import { PdfTimeoutError, sharedPdfEngine, type RenderRequest } from './pdf-engine.js';
import { groupSize, loadTarget, prepareEnvelopes, prepareLabels, type PrintTarget, type TargetKind } from './service.js';
import { getOwnOrganization } from './sender.js';

// Format and sheet names are checked by the route itself, which names a wrong one in its message.
const FormatQuery = Query({ format: SafeText(40) });
const LabelsQuery = Query({ sheet: SafeText(40), start: SafeText(10) });
type IdReq<Q> = { Params: { id: number }; Querystring: Q };

export const ENVELOPES_JOB = 'envelopes.pdf';
export const LABELS_JOB = 'labels.pdf';
interface EnvelopeJob {
  kind: TargetKind;
  id: number;
  format: string;
}
interface LabelsJob {
  id: number;
  sheet: string;
  start: number;
}

/** The envelope face is a Russian Post form whatever language the page around it is in. */
const face = translator('ru');
const PRINT_CSS = readFileSync(path.resolve(VIEWS_DIR, '../public/print.css'), 'utf8');

const PATHS: Record<TargetKind, string> = { group: 'groups', person: 'persons', organization: 'organizations' };
const envelopeBase = (kind: TargetKind, id: number) => `/${PATHS[kind]}/${id}/${kind === 'group' ? 'envelopes' : 'envelope'}`;

export default async function envelopeRoutes(app: FastifyInstance) {
  const db = app.db;
  const engine = sharedPdfEngine(app);

  // ---- stylesheets generated from the format tables (page size and block positions) ----

  app.get<{ Querystring: { format?: string } }>('/envelopes/style.css', { config: { access: 'user' }, schema: { querystring: FormatQuery } }, async (req, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'private, max-age=3600').send(envelopeCss(parseFormat(req.query.format))),
  );

  app.get<{ Querystring: { sheet?: string } }>('/labels/style.css', { config: { access: 'user' }, schema: { querystring: LabelsQuery } }, async (req, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'private, max-age=3600').send(labelsCss(parseSheet(req.query.sheet))),
  );

  // ---- envelopes ----

  async function envelopeRun(kind: TargetKind, id: number, rawFormat: string | undefined) {
    const own = await getOwnOrganization(db);
    // The format is checked before anything is read, so a bad link fails the same way everywhere.
    const format = parseFormat(rawFormat, own.defaultFormat);
    const target = await loadTarget(db, kind, id);
    return { format, target, run: prepareEnvelopes(target.rows, format, own) };
  }

  function links(target: PrintTarget, format: EnvelopeFormat) {
    const base = envelopeBase(target.kind, target.id);
    return {
      htmlUrl: `${base}?format=${format.id}`,
      pdfUrl: `${base}.pdf?format=${format.id}`,
      formatUrl: (id: string) => `${base}?format=${id}`,
      labelsUrl: target.kind === 'group' ? `/groups/${target.id}/labels` : null,
      pageCssUrl: `/envelopes/style.css?format=${format.id}`,
    };
  }

  /** 0 members, or nobody with a usable address: a page that says so, never an empty PDF. */
  function nothingToPrint(reply: FastifyReply, target: PrintTarget, skipped: unknown[], status: number) {
    const message = target.kind === 'group' && target.rows.length === 0 ? ['envelopes.noMembers', { name: target.name }] : ['envelopes.nobodyPrintable', {}];
    return reply.page('envelopes/nothing', { target, skipped, message, pageTitle: target.name }, { status });
  }

  /** Chromium missing or stuck: a 503 page that points to the HTML version, which needs no Chromium. */
  function pdfUnavailable(req: FastifyRequest, reply: FastifyReply, err: unknown, htmlUrl: string) {
    if (err instanceof BrowserMissingError) {
      req.log.warn({ err: err.message }, 'PDF requested but no Chromium is installed');
      return reply.page('envelopes/unavailable', { messageKey: 'envelopes.browserMissing', htmlUrl }, { status: 503 });
    }
    if (err instanceof PdfTimeoutError) {
      req.log.error({ err }, 'PDF rendering timed out');
      return reply.page('envelopes/unavailable', { messageKey: 'envelopes.pdfFailed', htmlUrl }, { status: 503 });
    }
    throw err;
  }

  async function sendPdf<T>(req: FastifyRequest, reply: FastifyReply, job: RenderRequest<T>, filename: string, htmlUrl: string, skipped: number) {
    let pdf: Uint8Array;
    try {
      pdf = await engine.render({
        ...job,
        // Large runs report each finished batch, so a slow PDF can be followed in the log.
        onProgress: job.items.length > (job.batchSize ?? engine.batchSize) ? (p) => req.log.info(p, 'PDF progress') : undefined,
      });
    } catch (err) {
      return pdfUnavailable(req, reply, err, htmlUrl);
    }
    return reply
      .type('application/pdf')
      .header('Content-Disposition', `inline; filename="${filename}"`)
      .header('Cache-Control', 'private, no-store')
      .header('X-Skipped-Addressees', String(skipped))
      .send(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
  }

  // ---- large runs: a job whose page shows the progress and then offers the PDF ----

  function toJob(reply: FastifyReply, job: { id: number; deduped: boolean }) {
    reply.flash('info', job.deduped ? 'jobs.deduped' : 'jobs.started');
    return reply.seeOther(`/jobs/${job.id}`);
  }

  async function renderJob<T>(ctx: JobContext<unknown>, job: RenderRequest<T>, phase: string, count: number) {
    ctx.progress(0, count, phase);
    const pdf = await engine.render({ ...job, signal: ctx.signal, onProgress: (p) => ctx.progress(p.done, p.total, phase) });
    return Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  }

  /** Chromium missing or stuck: the job fails with the same words the synchronous page uses. */
  function jobFailure(err: unknown): never {
    if (err instanceof BrowserMissingError) throw new JobError('envelopes.browserMissing');
    if (err instanceof PdfTimeoutError) throw new JobError('envelopes.pdfFailed');
    throw err;
  }

  app.jobs.registerHandler<EnvelopeJob>(ENVELOPES_JOB, {
    title: 'envelopes.job.title',
    private: true,
    async run(ctx) {
      const { kind, id, format: formatId } = ctx.payload;
      // Read when the job runs: the envelopes are those of the group as it is now.
      const { format, target, run } = await envelopeRun(kind, id, formatId);
      if (run.envelopes.length === 0) throw new JobError('envelopes.nobodyPrintable');
      try {
        const bytes = await renderJob(
          ctx,
          {
            items: run.envelopes,
            css: `${PRINT_CSS}\n${envelopeCss(format)}`,
            html: (batch) => app.view('envelopes/pdf', { envelopes: batch, sender: run.sender, face, forPdf: true, locale: 'ru', pageTitle: target.name }),
          },
          'envelopes.job.phase',
          run.envelopes.length,
        );
        return { file: { name: `envelopes-${kind}-${target.id}-${format.id}.pdf`, type: 'application/pdf', bytes }, report: { count: run.envelopes.length, skipped: run.skipped.length }, link: links(target, format).htmlUrl };
      } catch (err) {
        return jobFailure(err);
      }
    },
  });

  app.jobs.registerHandler<LabelsJob>(LABELS_JOB, {
    title: 'labels.job.title',
    private: true,
    async run(ctx) {
      const { sheet, start, target, labels, skipped } = await labelRun(ctx.payload.id, { sheet: ctx.payload.sheet, start: String(ctx.payload.start) });
      if (labels.length === 0) throw new JobError('envelopes.nobodyPrintable');
      try {
        const bytes = await renderJob(
          ctx,
          {
            items: paginateLabels(labels, sheet, start),
            css: `${PRINT_CSS}\n${labelsCss(sheet)}`,
            batchSize: Math.max(1, Math.floor(engine.batchSize / perSheet(sheet))),
            html: (batch) => app.view('envelopes/labels-pdf', { sheets: batch, forPdf: true, locale: 'ru', pageTitle: target.name }),
          },
          'labels.job.phase',
          paginateLabels(labels, sheet, start).length,
        );
        return { file: { name: `labels-group-${target.id}-${sheet.id}.pdf`, type: 'application/pdf', bytes }, report: { count: labels.length, skipped: skipped.length }, link: `/groups/${target.id}/labels?sheet=${sheet.id}&start=${start}` };
      } catch (err) {
        return jobFailure(err);
      }
    },
  });

  const envelopePage = (kind: TargetKind) => async (req: FastifyRequest<IdReq<{ format?: string }>>, reply: FastifyReply) => {
    const { format, target, run } = await envelopeRun(kind, req.params.id, req.query.format);
    if (run.envelopes.length === 0) return nothingToPrint(reply, target, run.skipped, 200);
    const title = req.t(kind === 'group' ? 'envelopes.title' : 'envelopes.titleOne', { name: target.name });
    return reply.fragment('envelopes/print', {
      ...run,
      ...links(target, format),
      target,
      format,
      formats: ENVELOPE_FORMAT_LIST,
      face,
      pageTitle: title,
      large: run.envelopes.length > engine.batchSize,
      batchSize: engine.batchSize,
    });
  };

  const envelopePdf = (kind: TargetKind) => async (req: FastifyRequest<IdReq<{ format?: string }>>, reply: FastifyReply) => {
    if (kind === 'group') {
      // A large group goes to a job before its members are read (10,000 took 0.8 s of the click).
      const format = parseFormat(req.query.format, (await getOwnOrganization(db)).defaultFormat);
      const group = await groupSize(db, req.params.id);
      if (group.members > app.config.jobPdfThreshold) {
        const payload: EnvelopeJob = { kind, id: req.params.id, format: format.id };
        const job = await app.jobs.enqueue(ENVELOPES_JOB, payload, { owner: req.user!, dedupeKey: JSON.stringify(payload), titleParams: { name: group.name, count: group.members }, total: group.members });
        return toJob(reply, job);
      }
    }
    const { format, target, run } = await envelopeRun(kind, req.params.id, req.query.format);
    if (run.envelopes.length === 0) return nothingToPrint(reply, target, run.skipped, 422);
    if (run.envelopes.length > app.config.jobPdfThreshold) {
      const payload: EnvelopeJob = { kind, id: target.id, format: format.id };
      const job = await app.jobs.enqueue(ENVELOPES_JOB, payload, { owner: req.user!, dedupeKey: JSON.stringify(payload), titleParams: { name: target.name, count: run.envelopes.length } });
      return toJob(reply, job);
    }
    const job: RenderRequest<(typeof run.envelopes)[number]> = {
      items: run.envelopes,
      css: `${PRINT_CSS}\n${envelopeCss(format)}`,
      html: (batch) => app.view('envelopes/pdf', { envelopes: batch, sender: run.sender, face, forPdf: true, locale: 'ru', pageTitle: target.name }),
    };
    const filename = `envelopes-${kind}-${target.id}-${format.id}.pdf`;
    return sendPdf(req, reply, job, filename, links(target, format).htmlUrl, run.skipped.length);
  };

  const envelopeOptions = { config: { access: 'user' as const, replica: true as const }, schema: { params: IdParams, querystring: FormatQuery } };
  app.get<IdReq<{ format?: string }>>('/groups/:id/envelopes', envelopeOptions, envelopePage('group'));
  app.get<IdReq<{ format?: string }>>('/groups/:id/envelopes.pdf', envelopeOptions, envelopePdf('group'));
  app.get<IdReq<{ format?: string }>>('/persons/:id/envelope', envelopeOptions, envelopePage('person'));
  app.get<IdReq<{ format?: string }>>('/persons/:id/envelope.pdf', envelopeOptions, envelopePdf('person'));
  app.get<IdReq<{ format?: string }>>('/organizations/:id/envelope', envelopeOptions, envelopePage('organization'));
  app.get<IdReq<{ format?: string }>>('/organizations/:id/envelope.pdf', envelopeOptions, envelopePdf('organization'));

  // ---- label sheets ----

  async function labelRun(id: number, query: { sheet?: string; start?: string }) {
    const sheet = parseSheet(query.sheet);
    const start = parseStart(query.start, sheet);
    const target = await loadTarget(db, 'group', id);
    return { sheet, start, target, ...prepareLabels(target.rows, sheet) };
  }

  app.get<IdReq<{ sheet?: string; start?: string }>>('/groups/:id/labels', { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: LabelsQuery } }, async (req, reply) => {
    const { sheet, start, target, labels, skipped } = await labelRun(req.params.id, req.query);
    if (labels.length === 0) return nothingToPrint(reply, target, skipped, 200);
    const query = `sheet=${sheet.id}&start=${start}`;
    return reply.fragment('envelopes/labels', {
      target,
      sheet,
      start,
      sheets: paginateLabels(labels, sheet, start),
      count: labels.length,
      skipped,
      sheetList: LABEL_SHEET_LIST,
      maxStart: perSheet(sheet),
      pdfUrl: `/groups/${target.id}/labels.pdf?${query}`,
      envelopesUrl: envelopeBase('group', target.id),
      pageCssUrl: `/labels/style.css?sheet=${sheet.id}`,
      pageTitle: req.t('labels.title', { name: target.name }),
    });
  });

  app.get<IdReq<{ sheet?: string; start?: string }>>('/groups/:id/labels.pdf', { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: LabelsQuery } }, async (req, reply) => {
    const { sheet, start, target, labels, skipped } = await labelRun(req.params.id, req.query);
    if (labels.length === 0) return nothingToPrint(reply, target, skipped, 422);
    if (labels.length > app.config.jobPdfThreshold) {
      const payload: LabelsJob = { id: target.id, sheet: sheet.id, start };
      const job = await app.jobs.enqueue(LABELS_JOB, payload, { owner: req.user!, dedupeKey: JSON.stringify(payload), titleParams: { name: target.name, count: labels.length } });
      return toJob(reply, job);
    }
    // Batches are whole sheets, so the blank places at the start stay on the first sheet only.
    const job: RenderRequest<(typeof labels[number] | null)[]> = {
      items: paginateLabels(labels, sheet, start),
      css: `${PRINT_CSS}\n${labelsCss(sheet)}`,
      batchSize: Math.max(1, Math.floor(engine.batchSize / perSheet(sheet))),
      html: (batch) => app.view('envelopes/labels-pdf', { sheets: batch, forPdf: true, locale: 'ru', pageTitle: target.name }),
    };
    const htmlUrl = `/groups/${target.id}/labels?sheet=${sheet.id}&start=${start}`;
    return sendPdf(req, reply, job, `labels-group-${target.id}-${sheet.id}.pdf`, htmlUrl, skipped.length);
  });
}
