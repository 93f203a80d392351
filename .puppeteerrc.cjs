// Puppeteer must never download its own browser: it fails on machines without internet and
// breaks `npm ci`. The app finds Chromium itself (see src/plugins/browser.ts).
module.exports = { skipDownload: true };
