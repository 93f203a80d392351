import type { FastifyInstance } from 'fastify';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', { config: { access: 'public' }, logLevel: 'warn' }, async (req, reply) => {
    try {
      await app.database.ping();
      return reply.type('text/plain').send('ok');
    } catch (err) {
      req.log.warn({ err }, 'health check: database unavailable');
      return reply.code(503).type('text/plain').send('database unavailable');
    }
  });
}
