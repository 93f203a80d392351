import { Id as LibId, NoQuery } from '../../lib/schemas.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DUPLICATE_KINDS, type DuplicateKind } from '../../db/schema/duplicates.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { decodeJsonCursor, encodeJsonCursor, isRowId, linkBuilder, pagerLinks, type Pager } from '../../lib/keyset.js';
import { ALL_REASONS, REASONS } from './model.js';
import * as q from './queries.js';
import * as service from './service.js';

const PAGE = 50;
const Id = LibId;
const Kind = Type.Union(DUPLICATE_KINDS.map((k) => Type.Literal(k)));
const Csrf = Type.Optional(Type.String({ maxLength: 1000 }));
const ListQuery = Type.Object({
  kind: Type.Optional(Type.Union([Kind, Type.Literal('')])),
  reason: Type.Optional(Type.Union([...ALL_REASONS.map((r) => Type.Literal(r)), Type.Literal('')])),
  after: Type.Optional(Type.String({ maxLength: 200 })),
  before: Type.Optional(Type.String({ maxLength: 200 })),
  last: Type.Optional(Type.Literal('1')),
});
const DismissBody = Type.Object({ kind: Kind, a: Id, b: Id, _csrf: Csrf });
const MergeQuery = Type.Object({ kind: Kind, ids: Type.Array(Id, { minItems: 1, maxItems: 50 }) });
// The form's per-card versions (version_12) and per-field choices (choice_surname) are keyed by name.
const MergeBody = Type.Object(
  { kind: Kind, ids: Type.Array(Id, { minItems: 1, maxItems: 50 }), survivorId: Id, photo: Type.Optional(Type.String({ maxLength: 12 })), _csrf: Csrf },
  { patternProperties: { '^(version|choice)_[A-Za-z0-9]{1,40}$': Type.String({ maxLength: 12 }) }, additionalProperties: false },
);
const IdParams = Type.Object({ id: Id });
const UndoBody = Type.Object({ _csrf: Csrf });

type ListQ = { kind?: DuplicateKind | ''; reason?: string; after?: string; before?: string; last?: '1' };
type MergeQ = { kind: DuplicateKind; ids: number[] };
type MergeB = MergeQ & { survivorId: number; photo?: string } & Record<string, unknown>;

/** A pair's place in the list as its cursor carries it: [score, kind, a, b] (score is a smallint). */
type PairKey = [number, DuplicateKind, number, number];
const isScore = (n: unknown): n is number => Number.isInteger(n) && Math.abs(n as number) <= 32767;
const isPairKey = (v: unknown): v is PairKey =>
  Array.isArray(v) && v.length === 4 && isScore(v[0]) && (DUPLICATE_KINDS as readonly unknown[]).includes(v[1]) && isRowId(v[2]) && isRowId(v[3]);
function decodeCursor(s: string | undefined): q.Cursor | null {
  const k = decodeJsonCursor(s, isPairKey);
  return k && { score: k[0], kind: k[1], aId: k[2], bId: k[3] };
}
const encodeCursor = (r: q.Cursor) => encodeJsonCursor([r.score, r.kind, r.aId, r.bId] satisfies PairKey);

export default async function duplicateRoutes(app: FastifyInstance) {
  const db = app.db;
  const secretary = { access: 'secretary' as const };

  app.get<{ Querystring: ListQ }>('/duplicates', { config: secretary, schema: { querystring: ListQuery } }, async (req, reply) => {
    const kind = req.query.kind || null;
    const reason = req.query.reason && (!kind || req.query.reason in REASONS[kind]) ? req.query.reason : null;
    const after = decodeCursor(req.query.after);
    const before = decodeCursor(req.query.before);
    const last = req.query.last === '1';
    const [list, counts, merges] = await Promise.all([
      q.pageCandidates(db, { kind, reason, after, before: after ? null : before, last: !after && !before && last, limit: PAGE + 1 }),
      q.countByKind(db),
      q.recentMerges(db, 10),
    ]);
    // One extra row tells whether there is a page beyond, in the direction walked.
    const backwards = !after && (Boolean(before) || last);
    const more = list.length > PAGE;
    const pairs = more ? (backwards ? list.slice(1) : list.slice(0, PAGE)) : list;
    const link = linkBuilder('/duplicates', { kind: kind ?? undefined, reason: reason ?? undefined });
    const hasNext = backwards ? Boolean(before) : more;
    // The list's own last-page link is `last=1`; the first page is offered from anywhere but itself.
    const pager: Pager = {
      ...pagerLinks({ rows: pairs, hasPrev: backwards ? more : Boolean(after), hasNext }, link, encodeCursor, { last: false }),
      first: backwards || after ? link({}) : null,
      last: hasNext ? link({ last: '1' }) : null,
    };
    const clusters = await q.clustersOf(db, pairs);
    return reply.page('duplicates/index', {
      pairs: pairs.map((p, i) => ({ ...p, cluster: clusters[i] })),
      counts,
      merges,
      kind,
      reason,
      reasons: kind ? Object.keys(REASONS[kind]) : ALL_REASONS,
      pager,
      here: req.url,
      pageTitle: req.t('duplicates.title'),
    }, { fragment: 'duplicates/_list' });
  });

  app.post<{ Body: { _csrf?: string } }>('/duplicates/scan', { config: secretary, schema: { body: UndoBody } }, async (req, reply) => {
    const counts = await service.scanDirectory(db, req.user!);
    reply.flash('success', 'duplicates.scanned', { persons: counts.person, organizations: counts.organization });
    return reply.seeOther('/duplicates');
  });

  app.post<{ Body: { kind: DuplicateKind; a: number; b: number } }>('/duplicates/dismiss', { config: secretary, schema: { body: DismissBody } }, async (req, reply) => {
    await service.dismiss(db, req.user!, req.body.kind, req.body.a, req.body.b);
    reply.flash('success', 'duplicates.dismissed', { a: Math.min(req.body.a, req.body.b), b: Math.max(req.body.a, req.body.b) });
    return reply.seeOther(`/duplicates?kind=${req.body.kind}`);
  });

  /** The side-by-side page: every card's fields, a choice per field, the survivor and the photo. */
  async function mergePage(req: FastifyRequest, reply: FastifyReply, kind: DuplicateKind, ids: number[], form: Partial<service.MergeInput> | null, extra: Record<string, unknown> = {}, status = 200) {
    const list = service.checkIds(ids);
    const cards = await service.loadCards(db, kind, list);
    if (cards.length !== list.length) throw new NotFoundError();
    const links = await q.linkCounts(db, kind, list);
    const d = service.defaults(kind, cards);
    const chosen = { survivorId: form?.survivorId ?? d.survivorId, choices: { ...d.choices, ...(form?.choices ?? {}) }, photo: form?.photo === undefined ? d.photo : form.photo };
    const show = (c: service.Card, f: string): string => {
      if (c.kind === 'person') {
        if (f === 'organizationId') return c.organizationName ?? '';
        if (f === 'gender') return c.row.gender === 'unspecified' ? '' : req.t(`genders.${c.row.gender}`);
        if (f === 'influence') return c.row.influence === 0 ? '' : String(c.row.influence);
      } else {
        if (f === 'regionId') return c.regionName ?? '';
        if (f === 'activityId') return c.activityName ?? '';
        if (f === 'categoryId') return c.categoryName ?? '';
      }
      const v = service.fieldValue(c, f);
      return v === null || v === undefined ? '' : String(v);
    };
    return reply.page('duplicates/merge', {
      kind,
      cards,
      links,
      fields: service.MERGE_FIELDS[kind],
      show,
      chosen,
      versions: form?.versions ?? Object.fromEntries(cards.map((c) => [c.id, c.row.version])),
      pageTitle: req.t('duplicates.mergeTitle'),
      ...extra,
    }, { status });
  }

  app.get<{ Querystring: MergeQ }>('/duplicates/merge', { config: secretary, schema: { querystring: MergeQuery } }, async (req, reply) => {
    return mergePage(req, reply, req.query.kind, req.query.ids, null);
  });

  app.post<{ Body: MergeB }>('/duplicates/merge', { config: secretary, schema: { body: MergeBody } }, async (req, reply) => {
    const b = req.body;
    const ids = service.checkIds(b.ids);
    const num = (v: unknown) => (typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : NaN);
    const versions = Object.fromEntries(ids.map((id) => [id, num(b[`version_${id}`])]));
    const choices = Object.fromEntries(service.MERGE_FIELDS[b.kind].map((f) => [f, num(b[`choice_${f}`])]).filter(([, v]) => ids.includes(v as number)));
    const photo = b.photo && ids.includes(num(b.photo)) ? num(b.photo) : null;
    const input: service.MergeInput = { kind: b.kind, ids, survivorId: b.survivorId, versions, choices, photo };
    try {
      const mergeId = await service.mergeCards(db, req.user!, input);
      reply.flash('success', 'duplicates.merged', { count: ids.length - 1, id: b.survivorId });
      return reply.seeOther(`/duplicates/merges/${mergeId}`);
    } catch (err) {
      if (err instanceof service.StaleError) {
        const stale = await service.staleDetails(db, b.kind, err.current as { id: number; behind: number }[]);
        // The form keeps the user's choices; the versions become the current ones, so a second press merges.
        return mergePage(req, reply, b.kind, ids, { ...input, versions: undefined }, { stale }, 409);
      }
      if (err instanceof ConflictError && err.messageKey === 'duplicates.alreadyMerged') {
        return reply.page('duplicates/refused', { message: req.t(err.messageKey, err.params), pageTitle: req.t('duplicates.mergeTitle') }, { status: 409 });
      }
      if (err instanceof ValidationError) return mergePage(req, reply, b.kind, ids, input, { errors: err.fields }, 422);
      throw err;
    }
  });

  app.get<{ Params: { id: number } }>('/duplicates/merges/:id', { config: secretary, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const m = await q.findMerge(db, req.params.id);
    if (!m) throw new NotFoundError();
    return reply.page('duplicates/merged', { merge: m, pageTitle: req.t('duplicates.mergeResult', { id: m.id }) });
  });

  app.post<{ Params: { id: number } }>('/duplicates/merges/:id/undo', { config: secretary, schema: { params: IdParams, body: UndoBody } }, async (req, reply) => {
    try {
      const done = await service.undoMerge(db, req.user!, req.params.id);
      reply.flash('success', 'duplicates.undone');
      return reply.seeOther(`/${done.kind === 'person' ? 'persons' : 'organizations'}/${done.survivorId}`);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const m = await q.findMerge(db, req.params.id);
      const fields = ((err.current as { fields?: string[] } | null)?.fields ?? []).map((f) => (f === 'phones' || f === 'emails' || !f.match(/^[a-z]/i) ? f : f));
      return reply.page('duplicates/merged', { merge: m, refusal: { message: req.t(err.messageKey, err.params), fields }, pageTitle: req.t('duplicates.mergeResult', { id: req.params.id }) }, { status: 409 });
    }
  });
}
