// The API reference page (/docs) in Debian's Chromium, driven by playwright-core: the page must
// render Latchkey's operations from /openapi/v1.json with nothing but the server's own
// resources (users may be offline), so every request the page makes is recorded.
// usage: node docs-chromium.mjs <baseUrl>
// prints one JSON object: { title, rendered, groups, foreign: [urls of other origins], failed: [urls], error? }
import { chromium } from 'playwright-core';

const [baseUrl] = process.argv.slice(2);
const origin = new URL(baseUrl).origin;
const result = { foreign: [], failed: [], rendered: false };

const browser = await chromium.launch({
  executablePath: process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  page.on('request', request => {
    const url = request.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) result.foreign.push(url);
  });
  page.on('requestfailed', request => result.failed.push(request.url()));
  page.on('response', response => { if (response.status() >= 400) result.failed.push(`${response.status()} ${response.url()}`); });
  await page.goto(`${baseUrl}/docs`);
  // An operation's summary from the document, shown once Scalar has read it; then the groups.
  await page.getByText('Create the first super admin with the printed setup token').first().waitFor({ timeout: 60_000 });
  result.rendered = true;
  result.title = await page.title();
  const body = await page.evaluate(() => document.body.innerText);
  result.groups = ['App', 'Signed-in user', 'Admin'].filter(group => body.includes(group));
  await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
} catch (error) {
  result.error = String(error?.message ?? error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
