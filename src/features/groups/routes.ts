import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Cursor, Form, IdParams, IdText, Line, Next, NoQuery, Query, SafeLines, SafeText, Word } from '../../lib/schemas.js';
import { decodeJsonCursor, encodeJsonCursor, isRowId, isSortKey, linkBuilder, pagerLinks } from '../../lib/keyset.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { backTo } from '../../lib/next.js';
import { GROUP_MARKS } from '../../db/schema/groups.js';
import { parseSelection, parseSelectionOrg, selectionQuery } from '../../lib/search/selection.js';
import { findOrganization } from '../organizations/service.js';
import { findPerson } from '../persons/service.js';
import { historyOf } from '../audit/service.js';
import * as q from './queries.js';
import * as service from './service.js';
import { BaseField, conflictingFields, formBase } from '../../lib/conflict.js';
import { addSelection, countSelection } from './service.js';


const ListQuery = Query({ archived: Word(5) });
const PickerFor = Word(40);
const GroupForm = Form({ name: Line(), description: SafeLines(20000), mark: Word(), version: Line(20), base: BaseField, picker_for: PickerFor });
const GROUP_CONFLICT_FIELDS = ['name', 'description', 'mark'] as const;
const ArchiveForm = Form({ picker_for: PickerFor });
const MemberForm = Form({ person_id: Line(20), organization_id: Line(20), next: Next, picker_for: PickerFor, reason: SafeLines(20000), documents: SafeLines(20000) });
const SelectionForm = Form({ q: SafeText(500), org: IdText('none'), reason: SafeLines(20000) });
const RemoveForm = Form({ next: Next });
const ShowQuery = Query({ sort: Word(20), former: Word(5), after: Cursor, before: Cursor, page: Word(10), find: SafeText(500) });
const RenameQuery = Query({ rename: IdText() });
const SelectionQuery = Query({ q: SafeText(500), org: IdText('none'), group_by: Word(20), approx: Word(5) });
type Body = Static<typeof GroupForm> & Record<string, unknown>;
type IdReq = { Params: { id: number } };
const MEMBERS_PAGE = 50;

const isMemberKey = (v: unknown): v is q.MemberKey => Array.isArray(v) && v.length === 2 && isSortKey(v[0]) && isRowId(v[1]);
const cursor = (s: unknown) => decodeJsonCursor(s, isMemberKey);

export default async function groupRoutes(app: FastifyInstance) {
  const db = app.db;

  async function loadGroup(id: number) {
    const g = await q.findGroup(db, id);
    if (!g) throw new NotFoundError();
    return g;
  }

  // ---- the list of groups ----
  app.get<{ Querystring: Static<typeof ListQuery> }>('/groups', { config: { access: 'user', replica: true }, schema: { querystring: ListQuery } }, async (req, reply) => {
    const showArchived = req.query.archived === '1';
    const groups = await q.listGroups(db, { showArchived });
    return reply.page('groups/index', { groups, showArchived, form: { mark: 'none' }, errors: {}, marks: GROUP_MARKS, pageTitle: req.t('groups.title') }, { fragment: 'groups/_list' });
  });

  app.post<{ Body: Body }>('/groups', { config: { access: 'secretary' }, schema: { body: GroupForm } }, async (req, reply) => {
    const pickerFor = typeof req.body.picker_for === 'string' ? req.body.picker_for : '';
    try {
      const group = await service.createGroup(db, req.user!, service.readGroupForm(req.body));
      if (pickerFor) return renderPickerFor(reply, pickerFor, {}, { created: group.name });
      reply.flash('success', 'groups.created', { name: group.name });
      return reply.seeOther(`/groups/${group.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      if (pickerFor) return renderPickerFor(reply, pickerFor, err.fields, { form: req.body, status: 422 });
      const groups = await q.listGroups(db);
      return reply.page('groups/index', { groups, showArchived: false, form: req.body, errors: err.fields, marks: GROUP_MARKS }, { status: 422 });
    }
  });

  // The toolbar's "print envelopes": choose the group whose members get them.
  app.get('/groups/print', { config: { access: 'user', replica: true }, schema: { querystring: NoQuery } }, async (req, reply) => {
    const groups = await q.listGroups(db);
    return reply.page('groups/print', { groups, pageTitle: req.t('envelopes.printEnvelopes') });
  });

  // ---- one group: the read-only page every department can bookmark ----
  app.get<IdReq & { Querystring: Static<typeof ShowQuery> }>(
    '/groups/:id',
    { config: { access: 'user', replica: true }, schema: { params: IdParams, querystring: ShowQuery } },
    async (req, reply) => {
      const group = await loadGroup(req.params.id);
      const qs = req.query;
      const sort: q.MemberSort = q.MEMBER_SORTS.includes(qs.sort as q.MemberSort) ? (qs.sort as q.MemberSort) : 'name';
      const former = qs.former === '1';
      const members = await q.listMembers(db, group.id, { sort, former, size: MEMBERS_PAGE, after: cursor(qs.after), before: cursor(qs.before), last: qs.page === 'last' });
      const link = linkBuilder(`/groups/${group.id}`, { sort: sort !== 'name' ? sort : undefined, former: former ? '1' : undefined });
      const pager = pagerLinks(members, link, (m) => encodeJsonCursor([m.sortValue, m.membershipId] satisfies q.MemberKey));
      const find = (qs.find ?? '').slice(0, 200);
      const candidates = find && req.user && ['secretary', 'admin'].includes(req.user.role) ? await q.findCandidates(db, group.id, find) : null;
      const docs = await q.documentsOfMemberships(db, members.rows.map((m) => m.membershipId));
      const history = await historyOf(db, 'group', group.id, 50);
      const counts = (await q.groupCounts(db, [group.id])).get(group.id) ?? { persons: 0, organizations: 0 };
      return reply.page(
        'groups/show',
        { group, counts, members, docs, sort, sorts: q.MEMBER_SORTS, former, pager, link, find, candidates, history, pageTitle: group.name, errors: {} },
        { fragment: qs.find !== undefined ? 'groups/_candidates' : 'groups/_members' },
      );
    },
  );

  app.get<IdReq>('/groups/:id/edit', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const group = await loadGroup(req.params.id);
    return reply.page('groups/edit', { group, form: group, base: formBase(group, GROUP_CONFLICT_FIELDS), errors: {}, marks: GROUP_MARKS, pageTitle: group.name });
  });

  app.post<IdReq & { Body: Body }>('/groups/:id', { config: { access: 'secretary' }, schema: { params: IdParams, body: GroupForm } }, async (req, reply) => {
    const group = await loadGroup(req.params.id);
    const version = Number(req.body.version);
    const pickerFor = typeof req.body.picker_for === 'string' ? req.body.picker_for : '';
    try {
      const saved = await service.updateGroup(db, req.user!, group.id, version, service.readGroupForm(req.body));
      if (pickerFor) return renderPickerFor(reply, pickerFor, {}, {});
      reply.flash('success', 'groups.saved', { name: saved.name });
      return reply.seeOther(`/groups/${group.id}`);
    } catch (err) {
      if (pickerFor && (err instanceof ValidationError || err instanceof ConflictError)) {
        return renderPickerFor(reply, pickerFor, err instanceof ValidationError ? err.fields : { name: { key: 'errors.conflict.text' } }, { status: err instanceof ValidationError ? 422 : 409, renaming: group.id });
      }
      if (err instanceof ValidationError) {
        return reply.page('groups/edit', { group: { ...group, version }, form: req.body, base: req.body.base, errors: err.fields, marks: GROUP_MARKS }, { status: 422 });
      }
      if (err instanceof ConflictError) {
        const current = await loadGroup(group.id);
        const differing = conflictingFields(GROUP_CONFLICT_FIELDS, current, req.body, req.body.base);
        return reply.page('groups/edit', { group: current, form: req.body, base: formBase(current, GROUP_CONFLICT_FIELDS), errors: {}, marks: GROUP_MARKS, conflict: { current, differing } }, { status: 409 });
      }
      throw err;
    }
  });

  const setArchived = (archived: boolean) => async (req: FastifyRequest<IdReq & { Body: Body }>, reply: FastifyReply) => {
    const group = await service.setGroupArchived(db, req.user!, req.params.id, archived);
    const pickerFor = typeof req.body?.picker_for === 'string' ? req.body.picker_for : '';
    if (pickerFor) return renderPickerFor(reply, pickerFor, {}, {});
    reply.flash('success', archived ? 'groups.archived' : 'groups.restored', { name: group.name });
    return reply.seeOther(`/groups/${group.id}`);
  };
  const archiveOptions = { config: { access: 'secretary' as const }, schema: { params: IdParams, body: ArchiveForm } };
  app.post<IdReq & { Body: Body }>('/groups/:id/archive', archiveOptions, setArchived(true));
  app.post<IdReq & { Body: Body }>('/groups/:id/restore', archiveOptions, setArchived(false));

  // ---- membership ----
  app.post<IdReq & { Body: Body }>('/groups/:id/members', { config: { access: 'secretary' }, schema: { params: IdParams, body: MemberForm } }, async (req, reply) => {
    const group = await loadGroup(req.params.id);
    const personId = Number(req.body.person_id);
    const organizationId = Number(req.body.organization_id);
    const member: service.Member | null = personId > 0 ? { personId } : organizationId > 0 ? { organizationId } : null;
    if (!member) throw new ValidationError({ member: { key: 'validation.choose' } });
    const next = backTo(req.body.next, `/groups/${group.id}`);
    const pickerFor = typeof req.body.picker_for === 'string' ? req.body.picker_for : '';
    try {
      const result = await service.addMember(db, req.user!, group.id, member, service.readMembershipForm(req.body));
      reply.flash(result.status === 'added' ? 'success' : 'info', result.status === 'added' ? 'groups.memberAdded' : 'groups.alreadyMember', { name: group.name });
      return reply.seeOther(next);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      if (pickerFor) return renderPickerFor(reply, pickerFor, err.fields, { status: 422, failedGroup: group.id, form: req.body });
      reply.flash('error', Object.values(err.fields)[0]?.key ?? 'errors.validation.text', Object.values(err.fields)[0]?.params);
      return reply.seeOther(next);
    }
  });

  app.post<IdReq & { Body: Body }>('/groups/:id/members/selection', { config: { access: 'secretary' }, schema: { params: IdParams, body: SelectionForm } }, async (req, reply) => {
    const group = await loadGroup(req.params.id);
    const b = req.body as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const sel = parseSelection({ q: str(b.q), group_by: str(b.group_by), approx: str(b.approx) }, parseSelectionOrg(b.org));
    const reason = typeof req.body.reason === 'string' ? req.body.reason.trim().slice(0, 1000) : '';
    const added = await addSelection(db, req.user!, group.id, sel, reason);
    reply.flash('success', 'groups.selectionAdded', { count: added, name: group.name });
    return reply.seeOther(`/groups/${group.id}`);
  });

  app.post<IdReq & { Body: Body }>('/memberships/:id/remove', { config: { access: 'secretary' }, schema: { params: IdParams, body: RemoveForm } }, async (req, reply) => {
    const result = await service.removeMembership(db, req.user!, req.params.id);
    reply.flash(result.status === 'removed' ? 'success' : 'info', result.status === 'removed' ? 'groups.memberRemoved' : 'groups.alreadyRemoved');
    return reply.seeOther(backTo(req.body?.next, `/groups/${result.groupId}`));
  });

  // ---- the group picker of a card (`+`) ----
  async function renderPickerFor(reply: FastifyReply, pickerFor: string, errors: object, extra: Record<string, unknown>) {
    const m = /^(person|organization):(\d+)$/.exec(pickerFor);
    if (!m) throw new NotFoundError();
    return renderPicker(reply, m[1] as 'person' | 'organization', Number(m[2]), errors, extra);
  }

  async function renderPicker(reply: FastifyReply, kind: 'person' | 'organization', id: number, errors: object, extra: Record<string, unknown> = {}) {
    const target = kind === 'person' ? await findPerson(db, id) : await findOrganization(db, id);
    if (!target) throw new NotFoundError();
    const member = kind === 'person' ? { personId: id } : { organizationId: id };
    const [groups, memberships] = await Promise.all([q.listGroups(db), q.membershipsOf(db, member)]);
    const memberOf = new Set(memberships.map((x) => x.groupId));
    const name = kind === 'person' ? `${(target as { surname: string }).surname} ${(target as { firstName: string }).firstName}`.trim() : (target as { name: string }).name;
    const back = kind === 'person' ? `/persons/${id}?tab=groups` : `/organizations/${id}`;
    const status = typeof extra.status === 'number' ? extra.status : 200;
    return reply.page(
      'groups/picker',
      { kind, targetId: id, targetName: name, groups, memberOf, back, pickerFor: `${kind}:${id}`, errors, marks: GROUP_MARKS, form: extra.form ?? {}, created: extra.created ?? null, renaming: extra.renaming ?? null, failedGroup: extra.failedGroup ?? null },
      { fragment: 'groups/_picker', status },
    );
  }

  const renameOf = (v: unknown) => (Number(v) > 0 ? Number(v) : null);
  app.get<IdReq & { Querystring: Static<typeof RenameQuery> }>('/persons/:id/groups/add', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: RenameQuery } }, async (req, reply) =>
    renderPicker(reply, 'person', req.params.id, {}, { renaming: renameOf(req.query.rename) }),
  );
  app.get<IdReq & { Querystring: Static<typeof RenameQuery> }>('/organizations/:id/groups/add', { config: { access: 'secretary' }, schema: { params: IdParams, querystring: RenameQuery } }, async (req, reply) =>
    renderPicker(reply, 'organization', req.params.id, {}, { renaming: renameOf(req.query.rename) }),
  );

  // ---- adding the /contacts selection: choose the group, then confirm ----
  app.get<{ Querystring: Static<typeof SelectionQuery> }>('/groups/choose', { config: { access: 'secretary' }, schema: { querystring: SelectionQuery } }, async (req, reply) => {
    const sel = parseSelection(req.query, parseSelectionOrg(req.query.org));
    const [groups, counts] = await Promise.all([q.listGroups(db), countSelection(db, sel)]);
    const query = selectionQuery(sel);
    return reply.page('groups/choose', { groups, sel, counts, query, pageTitle: req.t('groups.selectionToGroup') });
  });

  app.get<IdReq & { Querystring: Static<typeof SelectionQuery> }>(
    '/groups/:id/members/selection',
    { config: { access: 'secretary' }, schema: { params: IdParams, querystring: SelectionQuery } },
    async (req, reply) => {
      const group = await loadGroup(req.params.id);
      const sel = parseSelection(req.query, parseSelectionOrg(req.query.org));
      const counts = await countSelection(db, sel, group.id);
      return reply.page('groups/selection', { group, sel, counts, pageTitle: group.name });
    },
  );
}
