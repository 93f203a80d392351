import { Readable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertGroupExists, groupVcards, personVcard, scopeOf } from './service.js';
import { attachment } from './vcard.js';
import { contactsXml } from './xml.js';
import { findGroup } from '../groups/queries.js';
import { NotFoundError } from '../../lib/errors.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
const ExportQuery = Type.Object({
  group: Type.Optional(Type.String({ maxLength: 12 })),
  group_by: Type.Optional(Type.String({ maxLength: 20 })),
  q: Type.Optional(Type.String({ maxLength: 500 })),
  org: Type.Optional(Type.String({ maxLength: 20 })),
  archived: Type.Optional(Type.String({ maxLength: 5 })),
  photos: Type.Optional(Type.String({ maxLength: 5 })),
  approx: Type.Optional(Type.String({ maxLength: 5 })),
});
type ExportQueryT = { group?: string; group_by?: string; q?: string; org?: string; archived?: string; photos?: string; approx?: string };
type IdReq = { Params: { id: number } };

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/schema');

const today = () => new Date().toISOString().slice(0, 10);

export default async function exportRoutes(app: FastifyInstance) {
  const db = app.db;

  // Everyone may export (SPEC: rights); the file is streamed as it is read from the database.
  app.get<{ Querystring: ExportQueryT }>('/export.xml', { config: { access: 'user' }, schema: { querystring: ExportQuery } }, async (req, reply) => {
    const scope = scopeOf(req.query);
    if (scope.kind === 'group') await assertGroupExists(db, scope.groupId);
    const stream = Readable.from(contactsXml(db, scope, { photos: req.query.photos === '1' }));
    stream.on('error', (err) => req.log.error({ err }, 'XML export failed while streaming'));
    return reply
      .type('application/xml; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="contacts-${today()}.xml"`)
      .header('Cache-Control', 'no-store')
      .send(stream);
  });

  app.get('/export/schema.xsd', { config: { access: 'user' } }, async (_req, reply) =>
    reply.type('application/xml; charset=utf-8').header('Cache-Control', 'public, max-age=3600').sendFile('contacts.xsd', SCHEMA_DIR),
  );

  app.get<IdReq>('/persons/:id/vcard', { config: { access: 'user' }, schema: { params: IdParams } }, async (req, reply) => {
    const card = await personVcard(db, req.params.id, req.t);
    return reply.type('text/vcard; charset=utf-8').header('Content-Disposition', attachment(`${card.name || 'contact'}.vcf`)).header('Cache-Control', 'no-store').send(card.text);
  });

  app.get<IdReq & { Querystring: { photos?: string } }>('/groups/:id/vcard', { config: { access: 'user' }, schema: { params: IdParams } }, async (req, reply) => {
    const group = await findGroup(db, req.params.id);
    if (!group) throw new NotFoundError();
    const stream = Readable.from(groupVcards(db, group.id, req.t, { photos: req.query.photos === '1' }));
    stream.on('error', (err) => req.log.error({ err }, 'vCard export failed while streaming'));
    return reply.type('text/vcard; charset=utf-8').header('Content-Disposition', attachment(`${group.name}.vcf`)).header('Cache-Control', 'no-store').send(stream);
  });
}
