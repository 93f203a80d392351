import type { FastifyInstance } from 'fastify';

export default async function homeRoutes(app: FastifyInstance) {
  app.get('/', { config: { access: 'user' } }, async (_req, reply) => reply.redirect('/contacts', 302));
}
