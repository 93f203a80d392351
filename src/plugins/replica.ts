import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { ReplicaRouter } from '../db/replica.js';
import { AppError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The read replica's router (DATABASE_REPLICA_URL); null without a replica. */
    replica: ReplicaRouter | null;
  }
  interface FastifyRequest {
    /**
     * This request changed something without being a POST, or told its user that a job of theirs
     * finished (the job wrote meanwhile): the user's next pages must see it. Every successful
     * non-GET counts anyway.
     */
    wrote: boolean;
  }
  interface FastifyContextConfig {
    /**
     * A read-only page whose queries may go to the read replica (`app.db` reads from it while the
     * handler runs). Unset: the primary. GET routes only; the handler must not write through `db`.
     */
    replica?: true;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Fastify makes a HEAD route from each GET route's options, the handler already wrapped.
const WRAPPED = Symbol('replica');

/**
 * Routes the read-only pages to the read replica, with read-your-writes: after a request of a user
 * that wrote, the session keeps the primary's WAL position, and that user's pages read from the
 * primary until the replica has replayed that far. A replica that is away or lags is never an
 * error page: the handler then reads from the primary (once more from the start, if the replica
 * failed under it). Registered before the session plugin, so that its onSend runs first and the
 * position is saved with the session.
 */
export default fp(
  async (app: FastifyInstance, opts: { router: ReplicaRouter | null }) => {
    const router = opts.router;
    app.decorate('replica', router);
    app.decorateRequest('wrote', false);

    app.addHook('onRoute', (route) => {
      const wants = (route.config as { replica?: unknown } | undefined)?.replica;
      if (wants === undefined) return;
      const methods = [route.method].flat();
      if (wants !== true || methods.some((m) => !READ_METHODS.has(m))) {
        throw new Error(`Route ${methods.join(',')} ${route.url}: config.replica is \`true\` on read-only GET routes only`);
      }
      if (!router) return;
      const handler = route.handler as RouteHandlerMethod & { [WRAPPED]?: true };
      if (handler[WRAPPED]) return;
      route.handler = async function onReplica(this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
        const reader = await router.readerFor(req.session?.wroteLsn);
        if (!reader) return handler.call(this, req, reply);
        try {
          return await router.run(reader, () => handler.call(this, req, reply));
        } catch (err) {
          // The app's own errors (not found, validation) are the page's answer, wherever it read.
          if (reply.sent || err instanceof AppError) throw err;
          router.failed(err);
          req.log.warn({ err }, 'a read on the replica failed: reading from the primary');
          return router.run(router.primary, () => handler.call(this, req, reply));
        }
      };
      (route.handler as typeof handler)[WRAPPED] = true;
    });

    if (!router) return;
    app.addHook('onReady', async () => router.start());
    app.addHook('onClose', async () => router.stop());
    // A request that changed something (or req.wrote): its user's next pages must see it.
    app.addHook('onSend', async (req, reply, payload) => {
      // Signed in (or signing in now): an anonymous visitor has no pages of their own to keep fresh.
      if ((READ_METHODS.has(req.method) && !req.wrote) || reply.statusCode >= 400 || !req.session?.userId) return payload;
      try {
        req.session.wroteLsn = await router.writtenAt();
      } catch (err) {
        // Without the position the user's pages read from the primary until a later write records one.
        req.log.warn({ err }, 'could not read the primary WAL position after a write');
        req.session.wroteLsn = 'FFFFFFFF/FFFFFFFF';
      }
      return payload;
    });
  },
  { name: 'replica' },
);
