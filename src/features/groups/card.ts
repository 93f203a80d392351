import type { CardHooks, CardKind } from '../../lib/card-hooks.js';
import { organizationGroups, personCardGroups } from './queries.js';

/**
 * A card shows its groups' badges; a person's groups tab and an organization's groups section
 * list the memberships (`badges`, `memberships`). Registered once, in features/index.ts.
 */
export function groupsOnCard(kind: CardKind): CardHooks {
  return {
    facts: (db, id, view) => (kind === 'person' ? personCardGroups(db, id, view.tab === 'groups') : organizationGroups(db, id)),
  };
}
