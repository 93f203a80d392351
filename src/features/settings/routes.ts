import type { FastifyInstance } from 'fastify';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { ValidationError } from '../../lib/errors.js';
import { Form, Line, NoQuery, Word } from '../../lib/schemas.js';
import { ENVELOPE_FORMAT_LIST } from '../envelopes/formats.js';
import { getOwnOrganization, readOwnOrganizationForm, saveOwnOrganization } from '../envelopes/sender.js';

const SettingsForm = Form({ name: Line(), defaultFormat: Word(40), ...Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, Line()])) });

/**
 * /admin/settings: the installation's own organization (the sender block on envelopes, labels and
 * form 103) and the default envelope format. The values belong to envelopes (`envelopes/sender.ts`);
 * this feature is only their page.
 */
export default async function settingsRoutes(app: FastifyInstance) {
  const db = app.db;

  app.get('/admin/settings', { config: { access: 'admin' }, schema: { querystring: NoQuery } }, async (_req, reply) =>
    reply.page('admin/settings', { form: await getOwnOrganization(db), errors: {}, formats: ENVELOPE_FORMAT_LIST }),
  );

  app.post<{ Body: Record<string, unknown> }>('/admin/settings', { config: { access: 'admin' }, schema: { body: SettingsForm } }, async (req, reply) => {
    try {
      await saveOwnOrganization(db, req.user!, readOwnOrganizationForm(req.body ?? {}));
      reply.flash('success', 'settings.saved');
      return reply.seeOther('/admin/settings');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return reply.page('admin/settings', { form: req.body, errors: err.fields, formats: ENVELOPE_FORMAT_LIST }, { status: 422 });
    }
  });
}
