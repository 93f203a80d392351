import type { CardHooks, CardKind } from '../../lib/card-hooks.js';
import { countDocuments } from './queries.js';

/**
 * A person's and an organization's card head counts their incoming and outgoing documents
 * (views/correspondence/_counts.eta). Registered once, in features/index.ts.
 */
export function documentCounts(kind: CardKind): CardHooks {
  return {
    facts: async (db, id) => ({ documentCounts: await countDocuments(db, kind === 'person' ? { personId: id } : { organizationId: id }) }),
  };
}
