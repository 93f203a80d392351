import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Form, IdParams, Line, NoQuery, SafeLines, Word } from '../../lib/schemas.js';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { listActive } from '../references/service.js';
import { historyOf } from '../audit/service.js';
import { findOrganization } from './queries.js';
import * as service from './service.js';
import { cardFacts, cardHints, cardSections } from '../../lib/card-hooks.js';
import { BaseField, conflictingFields, formBase } from '../../lib/conflict.js';
import { allows } from '../../lib/access.js';

const OrganizationForm = Form({
  name: Line(), shortName: Line(), inn: Line(40), regionId: Line(20), activityId: Line(20), categoryId: Line(20),
  phones: Line(), email: Line(), website: Line(), note: SafeLines(20000), version: Line(20), base: BaseField,
  ...Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, Line()])),
});
const DeleteForm = Form({ confirm: Word(5) });
type Body = Static<typeof OrganizationForm> & Record<string, unknown>;
type IdReq = { Params: { id: number } };

export default async function organizationRoutes(app: FastifyInstance) {
  const db = app.db;

  async function formData(form: Record<string, unknown>, errors: object = {}) {
    // A reference archived since the record was saved stays selectable for that record.
    const current = (f: string) => (Number(form[f]) > 0 ? Number(form[f]) : null);
    const [regions, activities, categories] = await Promise.all([
      listActive(db, 'regions', { alsoId: current('regionId') }),
      listActive(db, 'activities', { alsoId: current('activityId') }),
      listActive(db, 'categories', { alsoId: current('categoryId') }),
    ]);
    return { form, errors, regions, activities, categories };
  }

  async function load(id: number) {
    const org = await findOrganization(db, id);
    if (!org) throw new NotFoundError();
    return org;
  }

  app.get('/organizations/new', { config: { access: 'secretary' }, schema: { querystring: NoQuery } }, async (_req, reply) =>
    reply.page('organizations/new', await formData({ name: '', addrCountry: '' })),
  );

  app.post<{ Body: Body }>('/organizations', { config: { access: 'secretary' }, schema: { body: OrganizationForm } }, async (req, reply) => {
    try {
      const input = await service.readOrganizationForm(db, req.body);
      const org = await service.createOrganization(db, req.user!, input);
      reply.flash('success', 'organizations.created', { name: org.name });
      return reply.seeOther(`/organizations/${org.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return reply.page('organizations/new', await formData(req.body, err.fields), { status: 422 });
    }
  });

  app.get<IdReq>('/organizations/:id', { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const org = await load(req.params.id);
    // An organization merged into another: old bookmarks lead to the one it became.
    if (org.mergedInto) return reply.redirect(`/organizations/${org.mergedInto}`, 302);
    // Its persons, document counts and groups come from the features that own them.
    const [history, hasHistory, facts, sections] = await Promise.all([
      historyOf(db, 'organization', org.id),
      service.organizationHasHistory(db, org.id),
      cardFacts(db, 'organization', org.id),
      cardSections(db, 'organization', org.id),
    ]);
    const duplicateHints = allows('secretary', req.user?.role) ? await cardHints(db, 'organization', org.id) : [];
    return reply.page('organizations/show', { org, history, hasHistory, ...facts, sections, duplicateHints, hintKind: 'organization', hintId: org.id, pageTitle: org.name });
  });

  app.get<IdReq>('/organizations/:id/edit', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const org = await load(req.params.id);
    return reply.page('organizations/edit', { org, ...(await formData(org)), base: formBase(org, service.ORGANIZATION_FIELDS), pageTitle: org.name });
  });

  app.post<IdReq & { Body: Body }>('/organizations/:id', { config: { access: 'secretary' }, schema: { params: IdParams, body: OrganizationForm } }, async (req, reply) => {
    const org = await load(req.params.id);
    const version = Number(req.body.version);
    try {
      const input = await service.readOrganizationForm(db, req.body);
      await service.updateOrganization(db, req.user!, org.id, version, input);
      reply.flash('success', 'organizations.saved', { name: input.name });
      return reply.seeOther(`/organizations/${org.id}`);
    } catch (err) {
      if (err instanceof ValidationError) {
        return reply.page('organizations/edit', { org: { ...org, version }, ...(await formData(req.body, err.fields)), base: req.body.base }, { status: 422 });
      }
      if (err instanceof ConflictError) return conflict(req, reply, org.id);
      throw err;
    }
  });

  /** 409: the stored values beside the user's, the form keeps the user's values and the new version. */
  async function conflict(req: FastifyRequest<{ Body: Body }>, reply: FastifyReply, id: number) {
    const current = await load(id);
    const differing = conflictingFields(service.ORGANIZATION_FIELDS, current, req.body, req.body.base);
    return reply.page('organizations/edit', { org: current, conflict: { current, differing }, ...(await formData(req.body)), base: formBase(current, service.ORGANIZATION_FIELDS) }, { status: 409 });
  }

  const setArchived = (archived: boolean) => async (req: FastifyRequest<IdReq>, reply: FastifyReply) => {
    const org = await service.setOrganizationArchived(db, req.user!, req.params.id, archived);
    reply.flash('success', archived ? 'organizations.archived' : 'organizations.restored', { name: org.name });
    return reply.seeOther(`/organizations/${org.id}`);
  };
  const archiveOptions = { config: { access: 'secretary' as const }, schema: { params: IdParams, body: Form({}) } };
  app.post<IdReq>('/organizations/:id/archive', archiveOptions, setArchived(true));
  app.post<IdReq>('/organizations/:id/restore', archiveOptions, setArchived(false));

  app.get<IdReq>('/organizations/:id/delete', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const org = await load(req.params.id);
    const hasHistory = await service.organizationHasHistory(db, org.id);
    return reply.page('organizations/delete', { org, hasHistory, pageTitle: org.name });
  });

  app.post<IdReq & { Body: Body }>('/organizations/:id/delete', { config: { access: 'secretary' }, schema: { params: IdParams, body: DeleteForm } }, async (req, reply) => {
    const org = await load(req.params.id);
    if (req.body?.confirm !== 'yes') throw new ValidationError({ confirm: { key: 'validation.confirmDelete' } });
    await service.deleteOrganization(db, req.user!, org.id);
    reply.flash('success', 'organizations.deleted', { name: org.name });
    return reply.seeOther('/contacts');
  });
}
