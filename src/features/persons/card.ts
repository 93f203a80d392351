import type { CardHooks } from '../../lib/card-hooks.js';
import { personsOfOrganization } from './queries.js';

/**
 * An organization's card lists its persons, archived ones too (`people`). Registered once, in
 * features/index.ts.
 */
export const personsOnOrganizationCard: CardHooks = {
  facts: async (db, id) => ({ people: await personsOfOrganization(db, id, { includeArchived: true }) }),
};
