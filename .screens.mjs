import puppeteer from 'puppeteer';
const base = 'http://127.0.0.1:5500';
const out = '/work/screens-16';
const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'], headless: true });
const page = await browser.newPage();
await page.setViewport({ width: 1366, height: 768 });
await page.setExtraHTTPHeaders({ 'Accept-Language': 'ru-RU,ru;q=0.9' });
page.setDefaultTimeout(120000);
await page.goto(`${base}/login`);
await page.type('input[name=login]', 'secretary');
await page.type('input[name=password]', 'demo');
await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
const shots = [
  ['01-organization', '/contacts'],
  ['02-region', '/contacts?group_by=region'],
  ['03-activity', '/contacts?group_by=activity'],
  ['04-category', '/contacts?group_by=category'],
  ['05-group', '/contacts?group_by=group'],
  ['06-locator-region-moskva', '/contacts?group_by=region&q=' + encodeURIComponent('Москва')],
  ['07-locator-two-words', '/contacts?q=' + encodeURIComponent(process.argv[2] || 'Иванов Иван')],
  ['08-last-page', '/contacts?page=last'],
];
for (const [name, url] of shots) {
  await page.goto(base + url);
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: false });
}
// An organization low in the list selected: scroll to the last row of page 1 and click it.
await page.goto(base + '/contacts');
const links = await page.$$('[data-list] a.org-link');
const low = links[links.length - 2];
await low.scrollIntoView();
await low.click();
await page.waitForSelector('.person-card');
await new Promise((r) => setTimeout(r, 500));
await page.screenshot({ path: `${out}/09-low-org-selected.png` });
// The keys overlay.
await page.keyboard.press('?');
await page.waitForSelector('[data-shortcuts][open]');
await page.screenshot({ path: `${out}/10-keys.png` });
await page.goto(base + '/groups');
await page.screenshot({ path: `${out}/11-groups.png` });
await browser.close();
