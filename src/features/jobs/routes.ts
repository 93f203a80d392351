import { IdParams, NoQuery } from '../../lib/schemas.js';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { attachment } from '../../lib/attachment.js';
import { GoneError, isFinished } from '../../lib/jobs.js';
import { jobProgress, jobTitle } from './view.js';

const ShowQuery = Type.Object({ started: Type.Optional(Type.String({ maxLength: 5 })) });
const CancelBody = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) });
type IdReq = { Params: { id: number } };

/** The user's jobs: the list, one job's page (progress, cancel, result) and its file. */
export default async function jobRoutes(app: FastifyInstance) {
  const jobs = app.jobs;

  app.get('/jobs', { config: { access: 'user' }, schema: { querystring: NoQuery } }, async (req, reply) => {
    const list = await jobs.listFor(req.user!.id);
    const running = list.some((j) => !isFinished(j.state));
    return reply.page(
      'jobs/index',
      {
        jobs: list.map((j) => ({ job: j, title: jobTitle(req.t, jobs, j), progress: jobProgress(req.t, jobs, j) })),
        running,
        pageTitle: req.t('jobs.title'),
      },
      { fragment: 'jobs/_list' },
    );
  });

  app.get<IdReq & { Querystring: { started?: string } }>('/jobs/:id', { config: { access: 'user' }, schema: { params: IdParams, querystring: ShowQuery } }, async (req, reply) => {
    const job = await jobs.load(req.params.id, req.user!);
    if (isFinished(job.state) && job.ownerId === req.user!.id && !job.notified) {
      await jobs.markSeen(job.id);
      // The owner learns here that the job is done, and goes on to see what it wrote.
      req.wrote = true;
    }
    const file = job.state === 'done' ? await jobs.hasFile(job.id) : null;
    const finished = isFinished(job.state);
    return reply.page(
      'jobs/show',
      {
        job,
        title: jobTitle(req.t, jobs, job),
        progress: jobProgress(req.t, jobs, job),
        finished,
        file,
        origin: jobs.originOf(job),
        canCancel: !finished && jobs.canCancel(job, req.user!),
        expired: job.state === 'done' && !job.expiresAt,
        // Without JavaScript the page refreshes itself while the job runs.
        refreshSeconds: finished ? null : 2,
        pageTitle: jobTitle(req.t, jobs, job),
      },
      { fragment: 'jobs/_status' },
    );
  });

  app.post<IdReq>('/jobs/:id/cancel', { config: { access: 'user' }, schema: { params: IdParams, body: CancelBody } }, async (req, reply) => {
    const outcome = await jobs.cancel(req.params.id, req.user!);
    reply.flash('info', outcome === 'cancelled' ? 'jobs.cancelled' : 'jobs.cancelling');
    return reply.seeOther(`/jobs/${req.params.id}`);
  });

  app.get<IdReq>('/jobs/:id/file', { config: { access: 'user' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    try {
      const f = await jobs.file(req.params.id, req.user!);
      f.stream.on('error', (err) => req.log.error({ err }, 'job file failed while streaming'));
      return reply.type(f.type).header('Content-Disposition', attachment(f.name)).header('Content-Length', String(f.size)).header('Cache-Control', 'private, no-store').send(f.stream);
    } catch (err) {
      if (!(err instanceof GoneError)) throw err;
      return reply.page('jobs/gone', { id: req.params.id, hours: app.config.jobResultHours, pageTitle: req.t('jobs.gone.title') }, { status: 410 });
    }
  });
}
