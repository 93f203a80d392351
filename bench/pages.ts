// The pages the benchmark measures, with the ids they need read from the directory at hand (the
// generated one, or the demo's): the contacts groupings' first and last pages, the locator, the
// person card's tabs, the largest mailing group, the documents register and an organization's
// correspondence.
export type Query = (text: string) => Promise<Record<string, unknown>[]>;

export async function pageList(query: Query): Promise<[string, string][]> {
  const personId = Number((await query(`select id from persons where organization_id is not null and archived_at is null order by id desc limit 1`))[0].id);
  // The "group page of 5,000 members" (the generator's group 1; the envelope scenario adds bigger ones); the demo's largest.
  const big = Number((await query(`select group_id from group_memberships where removed_at is null group by 1 order by abs(count(*) - 5000), 1 limit 1`))[0]?.group_id ?? 1);
  const org = Number((await query(`select organization_id from documents where organization_id is not null group by 1 order by count(*) desc, 1 limit 1`))[0]?.organization_id
    ?? (await query(`select id from organizations order by id limit 1`))[0].id);
  const pages: [string, string][] = [];
  for (const g of ['organization', 'region', 'activity', 'category', 'group']) {
    pages.push([`contacts ${g}, first page`, `/contacts?group_by=${g}`]);
    pages.push([`contacts ${g}, last page`, `/contacts?group_by=${g}&page=last`]);
  }
  pages.push(['locator, prefix "иванов"', `/contacts?q=${encodeURIComponent('иванов')}`]);
  pages.push(['locator, Ё "ёлкин"', `/contacts?q=${encodeURIComponent('ёлкин')}`]);
  pages.push(['locator, typo "иваонв"', `/contacts?q=${encodeURIComponent('иваонв')}`]);
  pages.push(['locator, phone digits', `/contacts?q=${encodeURIComponent('495 00012')}`]);
  for (const tab of ['main', 'contact', 'additional', 'note', 'groups', 'history']) pages.push([`person card, ${tab}`, `/persons/${personId}?tab=${tab}`]);
  pages.push([`group page (largest)`, `/groups/${big}`]);
  pages.push([`group page, last page`, `/groups/${big}?page=last`]);
  pages.push(['documents, no filter', '/documents']);
  pages.push(['documents, incoming Mar–Jun', '/documents?direction=incoming&from=2026-03-01&to=2026-06-30']);
  pages.push(['documents, text "поставке № 1234"', `/documents?q=${encodeURIComponent('поставке № 1234')}`]);
  pages.push(['documents, last page', '/documents?page=last']);
  pages.push(['organization correspondence', `/organizations/${org}/correspondence`]);
  return pages;
}
