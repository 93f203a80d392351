import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../../lib/schemas.js';

export default async function homeRoutes(app: FastifyInstance) {
  app.get('/', { config: { access: 'user' }, schema: { querystring: NoQuery } }, async (_req, reply) => reply.redirect('/contacts', 302));
}
