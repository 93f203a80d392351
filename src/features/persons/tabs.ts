/** The person card's tabs, in order; each is its own URL (?tab=) and htmx fragment. */
export const personTabs = ['main', 'contact', 'additional', 'note', 'groups', 'history'] as const;
export type PersonTab = (typeof personTabs)[number];
