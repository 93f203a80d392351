import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { IdText, SafeText, Word } from '../../lib/schemas.js';
import { loadPicker } from './picker.js';
import type { ChoiceKind } from './queries.js';

/**
 * The options of a picker's select. A picker's search box sends its form's own names, given by
 * `field`: `organizationId_find=…&organizationId=7`; `find` and `selected` say the same directly.
 */
const ChoicesQuery = Type.Object(
  {
    find: Type.Optional(SafeText(500)),
    selected: Type.Optional(IdText()),
    blank: Type.Optional(Word(10)),
    field: Type.Optional(Word(40)),
  },
  { additionalProperties: SafeText(500) },
);
type ChoicesQueryT = Record<string, string | undefined>;

const FIELD = /^[A-Za-z][A-Za-z0-9]{0,39}$/;

export default async function choiceRoutes(app: FastifyInstance) {
  const options = (kind: ChoiceKind) => async (req: FastifyRequest<{ Querystring: ChoicesQueryT }>, reply: FastifyReply) => {
    const q = req.query;
    const field = q.field && FIELD.test(q.field) ? q.field : null;
    const picker = await loadPicker(app.db, kind, field ?? 'choice', {
      find: q.find ?? (field ? q[`${field}_find`] : undefined),
      selected: q.selected ?? (field ? q[field] : undefined),
      blank: q.blank === 'any' ? 'any' : 'none',
    });
    return reply.fragment('partials/picker-options', { picker });
  };
  const choicesOptions = { config: { access: 'user' as const }, schema: { querystring: ChoicesQuery } };
  app.get<{ Querystring: ChoicesQueryT }>('/choices/organizations', choicesOptions, options('organization'));
  app.get<{ Querystring: ChoicesQueryT }>('/choices/persons', choicesOptions, options('person'));
}
