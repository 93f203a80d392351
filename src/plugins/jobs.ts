import fp from 'fastify-plugin';
import { JobSystem } from '../lib/jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The job system: features register their kinds at startup and enqueue long work. */
    jobs: JobSystem;
  }
}

/**
 * One job system per instance. Kinds are registered by the features (after this plugin); the
 * queue and its workers start once the app is ready, and stop first when it closes: no new jobs
 * are taken, running ones get the shutdown limit.
 */
export default fp(
  async (app) => {
    const jobs = new JobSystem(
      app.database,
      { workers: app.config.workers, kinds: app.config.jobKinds, resultHours: app.config.jobResultHours, shutdownSeconds: app.config.shutdownSeconds },
      app.log.child({ component: 'jobs' }),
    );
    app.decorate('jobs', jobs);
    app.addHook('onReady', async () => {
      await jobs.start();
    });
    // preClose: before the server stops answering and before the database closes.
    app.addHook('preClose', async () => {
      await jobs.stop();
    });
  },
  { name: 'jobs' },
);
