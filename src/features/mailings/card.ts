import type { CardHooks, CardKind } from '../../lib/card-hooks.js';
import { mailingsOfCard } from './queries.js';

/**
 * Each person's and organization's card lists the mailings it was part of (dates, outgoing and
 * tracking numbers, or why it was left out). Registered once, in features/index.ts.
 */
export function mailingsSection(kind: CardKind): CardHooks {
  return {
    sections: async (db, id) => {
      const list = await mailingsOfCard(db, kind === 'person' ? { personId: id } : { organizationId: id });
      // A card that was never mailed to gets no empty section.
      return list.length ? { view: '/mailings/_card', data: { cardMailings: list } } : null;
    },
  };
}
