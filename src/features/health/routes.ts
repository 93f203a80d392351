import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../../lib/schemas.js';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', { config: { access: 'public' }, logLevel: 'warn', schema: { querystring: NoQuery } }, async (req, reply) => {
    try {
      await app.database.ping();
      return reply.type('text/plain').send('ok');
    } catch (err) {
      req.log.warn({ err }, 'health check: database unavailable');
      return reply.code(503).type('text/plain').send('database unavailable');
    }
  });
}
