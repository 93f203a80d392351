import { cardHooks } from '../../lib/card-hooks.js';
import { mailingsOfCard } from './queries.js';

/**
 * Each person's and organization's card lists the mailings it was part of (dates, outgoing and
 * tracking numbers, or why it was left out). Registered once, when the module is first imported
 * (by the routes module), so apps built one after another in a process do not add it twice.
 */
for (const kind of ['person', 'organization'] as const) {
  cardHooks.sections[kind].push(async (db, id) => {
    const list = await mailingsOfCard(db, kind === 'person' ? { personId: id } : { organizationId: id });
    // A card that was never mailed to gets no empty section.
    return list.length ? { view: '/mailings/_card', data: { cardMailings: list } } : null;
  });
}
