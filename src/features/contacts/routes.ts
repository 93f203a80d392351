import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { Cursor, IdText, Query as QuerySchema, SafeText, Word } from '../../lib/schemas.js';
import { LATIN_BLOCK } from '../organizations/model.js';
import { contactsScreen } from './service.js';

const Query = QuerySchema({
  group_by: Word(20),
  q: SafeText(500),
  org: IdText('none'),
  archived: Word(5),
  after: Cursor,
  before: Cursor,
  page: Word(10),
  size: Type.String({ maxLength: 3, pattern: '^[0-9]*$' }),
  add_to: IdText(),
  approx: Word(5),
  from: Type.String({ maxLength: 10, pattern: '^[0-9]*$' }),
});
type QueryT = Static<typeof Query>;

export default async function contactsRoutes(app: FastifyInstance) {
  const db = app.db;

  app.get<{ Querystring: QueryT }>('/contacts', { config: { access: 'user', replica: true }, schema: { querystring: Query } }, async (req, reply) => {
    const view = await contactsScreen(db, req.query, req.user?.role);
    return reply.page(
      'contacts/index',
      {
        pageTitle: req.t('contacts.title'),
        ...view,
        headerLabel: (key: string) => (key === LATIN_BLOCK ? 'A–Z' : key.toLocaleUpperCase(req.locale)),
      },
      { fragment: 'contacts/_main' },
    );
  });
}
