import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../../lib/schemas.js';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', { config: { access: 'public' }, logLevel: 'warn', schema: { querystring: NoQuery } }, async (req, reply) => {
    try {
      await app.database.ping();
    } catch (err) {
      req.log.warn({ err }, 'health check: database unavailable');
      return reply.code(503).type('text/plain').send('database unavailable');
    }
    // A replica that is down or lags is reported but leaves the instance healthy: the primary
    // serves its reads meanwhile.
    const replica = app.replica?.status();
    if (!replica) return reply.type('text/plain').send('ok');
    const lag = replica.lagMs === null ? '' : ` lag_ms=${replica.lagMs}`;
    const detail = replica.error ? ` (${replica.error.replace(/\s+/g, ' ').slice(0, 200)})` : '';
    return reply.type('text/plain').send(`ok\nreplica: ${replica.health}${lag} replayed=${replica.replayLsn ?? '-'} fallbacks=${replica.fallbacks}${detail}`);
  });
}
