import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Form, IdParams, IdText, Line, Many, NoQuery, Query, SafeLines, UploadQuery, Word } from '../../lib/schemas.js';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { PHONE_KINDS, GENDERS } from '../../db/schema/persons.js';
import { historyOf } from '../audit/service.js';
import { loadPicker } from '../choices/picker.js';
import { findPerson, organizationOf, photoOf, type PersonFull } from './queries.js';
import * as service from './service.js';
import { readPhotoUpload } from './photo-upload.js';
import { personTabs, type PersonTab } from './tabs.js';
import { cardFacts, cardHints, cardSections } from '../../lib/card-hooks.js';
import { allows } from '../../lib/access.js';
import { BaseField, conflictingFields, formBase, type ShowValue } from '../../lib/conflict.js';

const TabQuery = Query({ tab: Word(20) });
const NewQuery = Query({ organization: IdText() });
const PhotoQuery = Query({ original: Word(5) });
const PersonForm = Form({
  surname: Line(), firstName: Line(), patronymic: Line(), influence: Line(40), organizationId: Line(20), organizationId_find: Line(500),
  jobTitle: Line(), gender: Word(), dativeOverride: Line(), note: SafeLines(20000), version: Line(20), base: BaseField,
  phoneKind: Many(Word(), 200), phoneNumber: Many(Line(200), 200), email: Many(Line(500), 200),
  ...Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, Line()])),
});
const DeleteForm = Form({ confirm: Word(5) });
type Body = Static<typeof PersonForm> & Record<string, unknown>;
type IdReq = { Params: { id: number } };
const tabQuery = (t: string | undefined) => (t && personTabs.includes(t as PersonTab) ? `?tab=${t}` : '');

/** The form's values from a stored person (phones and e-mails as the parallel lists the form posts). */
function formOf(p: PersonFull): Record<string, unknown> {
  return { ...p, phoneKind: p.phones.map((x) => x.kind), phoneNumber: p.phones.map((x) => x.number), email: p.emails.map((x) => x.email) };
}

/** The fields a stale save (409) compares, as the form posts them. */
const CONFLICT_FIELDS = [...service.PERSON_FIELDS, 'phoneNumber', 'email'] as const;
const showValue: ShowValue = (_f, v) => asList(v).filter(Boolean).join(', ');

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/**
 * The indexes of the rows of a repeated field that hold something, in their order; their errors
 * (`field.N` by posted row) are copied into `out` under the row's new number.
 */
function enteredRows(values: string[], field: string, errors: Record<string, unknown>, out: Record<string, unknown>): number[] {
  const kept = values.flatMap((v, i) => (v.trim() ? [i] : []));
  kept.forEach((posted, shown) => {
    const e = errors[`${field}.${posted}`];
    if (e) out[`${field}.${shown}`] = e;
  });
  return kept;
}

export default async function personRoutes(app: FastifyInstance) {
  const db = app.db;

  async function load(id: number) {
    const p = await findPerson(db, id);
    if (!p) throw new NotFoundError();
    return p;
  }

  async function formData(form: Record<string, unknown>, errors: Record<string, unknown> = {}) {
    const organizationPicker = await loadPicker(db, 'organization', 'organizationId', { find: form.organizationId_find, selected: form.organizationId });
    // The entered phones and e-mails, then one blank row of each to add one more without
    // JavaScript: a form shown again after a refusal does not gain rows.
    const out: Record<string, unknown> = Object.fromEntries(Object.entries(errors).filter(([k]) => !/^(phoneNumber|email)\.\d+$/.test(k)));
    const [numbers, kinds, emails] = [asList(form.phoneNumber), asList(form.phoneKind), asList(form.email)];
    const phoneRows = enteredRows(numbers, 'phoneNumber', errors, out);
    const emailRows = enteredRows(emails, 'email', errors, out);
    const rows = {
      phoneNumber: [...phoneRows.map((i) => numbers[i]), ''],
      phoneKind: [...phoneRows.map((i) => kinds[i] ?? ''), ''],
      email: [...emailRows.map((i) => emails[i]), ''],
    };
    return { form: { ...form, ...rows }, errors: out, organizationPicker, phoneKinds: PHONE_KINDS, genders: GENDERS };
  }

  app.get<{ Querystring: Static<typeof NewQuery> }>('/persons/new', { config: { access: 'secretary' }, schema: { querystring: NewQuery } }, async (req, reply) => {
    const orgId = Number(req.query.organization);
    const org = Number.isInteger(orgId) && orgId > 0 ? await organizationOf(db, orgId) : undefined;
    return reply.page('persons/new', await formData({ organizationId: org && !org.archivedAt ? org.id : '', influence: 0, gender: 'unspecified' }));
  });

  app.post<{ Body: Body }>('/persons', { config: { access: 'secretary' }, schema: { body: PersonForm } }, async (req, reply) => {
    try {
      const input = await service.readPersonForm(db, req.body);
      const person = await service.createPerson(db, req.user!, input);
      reply.flash('success', 'persons.created', { name: person.surname });
      return reply.seeOther(`/persons/${person.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return reply.page('persons/new', await formData(req.body, err.fields), { status: 422 });
    }
  });

  app.get<IdReq & { Querystring: Static<typeof TabQuery> }>(
    '/persons/:id',
    { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: TabQuery } },
    async (req, reply) => {
      const person = await load(req.params.id);
      // A card merged into another: old bookmarks lead to the card it became.
      if (person.mergedInto) return reply.redirect(`/persons/${person.mergedInto}${tabQuery(req.query.tab)}`, 302);
      const tab: PersonTab = personTabs.includes(req.query.tab as PersonTab) ? (req.query.tab as PersonTab) : 'main';
      // Document counts, group badges and memberships come from the features that own them.
      const [org, history, hasHistory, facts, sections] = await Promise.all([
        person.organizationId ? organizationOf(db, person.organizationId) : undefined,
        tab === 'history' ? historyOf(db, 'person', person.id) : [],
        service.personHasHistory(db, person.id),
        cardFacts(db, 'person', person.id, { tab }),
        cardSections(db, 'person', person.id),
      ]);
      const duplicateHints = allows('secretary', req.user?.role) ? await cardHints(db, 'person', person.id) : [];
      return reply.page(
        'persons/show',
        { person, org, tab, tabs: personTabs, history, hasHistory, ...facts, sections, errors: {}, duplicateHints, hintKind: 'person', hintId: person.id, pageTitle: `${person.surname} ${person.firstName}`.trim() },
        { fragment: 'persons/_tabs' },
      );
    },
  );

  app.get<IdReq>('/persons/:id/edit', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const person = await load(req.params.id);
    const form = formOf(person);
    return reply.page('persons/edit', { person, ...(await formData(form)), base: formBase(form, CONFLICT_FIELDS, showValue), pageTitle: person.surname });
  });

  app.post<IdReq & { Body: Body }>('/persons/:id', { config: { access: 'secretary' }, schema: { params: IdParams, body: PersonForm } }, async (req, reply) => {
    const person = await load(req.params.id);
    const version = Number(req.body.version);
    try {
      const input = await service.readPersonForm(db, req.body, person);
      await service.updatePerson(db, req.user!, person.id, version, input);
      reply.flash('success', 'persons.saved', { name: input.surname });
      return reply.seeOther(`/persons/${person.id}`);
    } catch (err) {
      if (err instanceof ValidationError) {
        return reply.page('persons/edit', { person: { ...person, version }, ...(await formData(req.body, err.fields)), base: req.body.base }, { status: 422 });
      }
      if (err instanceof ConflictError) return conflict(req, reply, person.id);
      throw err;
    }
  });

  /** 409: the stored card beside the user's values; the form keeps theirs with the new version. */
  async function conflict(req: FastifyRequest<{ Body: Body }>, reply: FastifyReply, id: number) {
    const current = await load(id);
    const stored = formOf(current);
    const differing = conflictingFields(CONFLICT_FIELDS, stored, req.body, req.body.base, showValue);
    return reply.page(
      'persons/edit',
      { person: current, conflict: { current: stored, differing, show: showValue }, ...(await formData(req.body)), base: formBase(stored, CONFLICT_FIELDS, showValue) },
      { status: 409 },
    );
  }

  const setArchived = (archived: boolean) => async (req: FastifyRequest<IdReq>, reply: FastifyReply) => {
    const p = await service.setPersonArchived(db, req.user!, req.params.id, archived);
    reply.flash('success', archived ? 'persons.archived' : 'persons.restored', { name: p.surname });
    return reply.seeOther(`/persons/${p.id}`);
  };
  const archiveOptions = { config: { access: 'secretary' as const }, schema: { params: IdParams, body: Form({}) } };
  app.post<IdReq>('/persons/:id/archive', archiveOptions, setArchived(true));
  app.post<IdReq>('/persons/:id/restore', archiveOptions, setArchived(false));

  app.get<IdReq>('/persons/:id/delete', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const person = await load(req.params.id);
    return reply.page('persons/delete', { person, hasHistory: await service.personHasHistory(db, person.id) });
  });

  app.post<IdReq & { Body: Body }>('/persons/:id/delete', { config: { access: 'secretary' }, schema: { params: IdParams, body: DeleteForm } }, async (req, reply) => {
    const person = await load(req.params.id);
    if (req.body?.confirm !== 'yes') throw new ValidationError({ confirm: { key: 'validation.confirmDelete' } });
    await service.deletePerson(db, req.user!, person.id);
    reply.flash('success', 'persons.deleted', { name: person.surname });
    return reply.seeOther(person.organizationId ? `/contacts?org=${person.organizationId}` : '/contacts');
  });

  app.get<IdReq & { Querystring: Static<typeof PhotoQuery> }>(
    '/persons/:id/photo',
    { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: PhotoQuery } },
    async (req, reply) => {
      const photo = await photoOf(db, req.params.id);
      if (!photo) throw new NotFoundError();
      const etag = `"${photo.updatedAt.getTime().toString(36)}${req.query.original ? 'o' : 't'}"`;
      reply.header('Cache-Control', 'private, max-age=300').header('ETag', etag);
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      if (req.query.original) {
        const ext = photo.originalType.split('/')[1];
        return reply
          .type(photo.originalType)
          .header('Content-Disposition', `attachment; filename="photo-${req.params.id}.${ext}"`)
          .send(photo.original);
      }
      return reply.type('image/png').send(photo.thumbnail);
    },
  );

  app.post<IdReq>('/persons/:id/photo', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: UploadQuery } }, async (req, reply) => {
    const person = await load(req.params.id);
    try {
      const photo = await readPhotoUpload(req);
      await service.setPersonPhoto(db, req.user!, person.id, photo);
      reply.flash('success', 'photo.saved');
      return reply.seeOther(`/persons/${person.id}?tab=additional`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const org = person.organizationId ? await organizationOf(db, person.organizationId) : undefined;
      return reply.page(
        'persons/show',
        { person, org, tab: 'additional', tabs: personTabs, history: [], hasHistory: false, errors: err.fields },
        { status: 422, fragment: 'persons/_tabs' },
      );
    }
  });

  app.post<IdReq>('/persons/:id/photo/delete', { config: { access: 'secretary' }, schema: { params: IdParams, body: Form({}) } }, async (req, reply) => {
    await service.removePersonPhoto(db, req.user!, req.params.id);
    return reply.seeOther(`/persons/${req.params.id}?tab=additional`);
  });
}
