// The admin console end to end in a real browser: Debian's Chromium, driven by playwright-core,
// against a real server process. A super admin signs in, creates an app, changes its settings
// section by section, creates a user and invites another, reads the app's dashboard after the
// user's sign-in and a failed one, revokes the user's session (opened here through the JSON API)
// and reads the audit trail; screenshots of every page (1280 and 390 wide) are saved on the way.
// usage: node console-e2e.mjs <baseUrl> <screenshotDir> <adminEmail> <adminPassword>
// prints one JSON object with each step's outcome; the C# test asserts on it. A step that throws
// ends the run with its error in the summary ("error").
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [baseUrl, shotDir, adminEmail, adminPassword] = process.argv.slice(2);
mkdirSync(shotDir, { recursive: true });
const suffix = Math.random().toString(36).slice(2, 8);
const appId = `e2e-shop-${suffix}`;
const userEmail = `buyer.${suffix}@example.com`;
const inviteeEmail = `invitee.${suffix}@example.com`;
const userPassword = 'a long enough passphrase for e2e';
const result = { steps: {}, screenshots: [], accessibility: { pages: 0, offenders: [] }, overflow: [], problems: [] };

const api = async (method, path, body) => {
  const response = await fetch(baseUrl + path, {
    method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
};

// Every visible form control must have an accessible name (a label, aria-label or aria-labelledby).
const checkAccessibility = async (page, name) => {
  const offenders = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
    .filter(el => !(el.labels?.length > 0 && [...el.labels].some(l => l.textContent.trim().length > 0))
      && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map(el => el.name || el.id || el.outerHTML.slice(0, 80)));
  const structure = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    h1: document.querySelectorAll('h1').length,
    skip: !!document.querySelector('a.skip-link[href="#main"]'),
  }));
  result.accessibility.pages++;
  // None of the pages this run visits should show a problem.
  for (const text of await page.locator('.error-summary').allTextContents()) result.problems.push(`${name}: ${text.replace(/\s+/g, ' ').trim()}`);
  for (const field of offenders) result.accessibility.offenders.push(`${name}: ${field}`);
  if (structure.lang !== 'en' || structure.h1 !== 1 || !structure.skip) {
    result.accessibility.offenders.push(`${name}: structure ${JSON.stringify(structure)}`);
  }
};

const shoot = async (page, file) => {
  const path = join(shotDir, file);
  await page.screenshot({ path, fullPage: true });
  result.screenshots.push(path);
};

const browser = await chromium.launch({
  executablePath: process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'],
});
result.chromium = browser.version();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();

  // 1. Sign in as the super admin: the console sends a visitor to its login page first.
  await page.goto(`${baseUrl}/console`);
  result.steps.loginRedirect = new URL(page.url()).pathname;
  await checkAccessibility(page, 'login');
  await shoot(page, 'login.png');
  await page.getByLabel('App', { exact: true }).fill('console');
  await page.getByLabel('Email or user name').fill(adminEmail);
  await page.getByLabel('Password', { exact: true }).fill(adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/console`);
  result.steps.signIn = true;

  // 2. Create an app.
  await page.getByLabel('Name', { exact: true }).fill('E2E shop');
  await page.getByLabel('Id (optional)').fill(appId);
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.waitForURL(`${baseUrl}/console/apps/${appId}?done=created`);
  result.steps.createApp = appId;
  await page.goto(`${baseUrl}/console`);
  await checkAccessibility(page, 'apps');
  await shoot(page, 'apps.png');

  // 3. Change its settings, one section at a time: each section saves on its own.
  await page.goto(`${baseUrl}/console/apps/${appId}`);
  await page.getByLabel('Anyone without registration').check();
  await page.getByRole('button', { name: 'Save access and sign-up' }).click();
  await page.waitForURL(`${baseUrl}/console/apps/${appId}?done=saved&section=access#access`);
  await page.getByLabel('Timeout to enter a code (seconds)').fill('300');
  await page.getByRole('button', { name: 'Save how users sign in' }).click();
  await page.waitForURL(/section=authenticate/);
  await page.getByLabel('Allowed IP ranges').fill('127.0.0.0/8\n::1/128\n10.0.0.0/8');
  await page.getByRole('button', { name: 'Save extra security' }).click();
  await page.waitForURL(/section=extra/);
  await page.getByLabel('Refresh token (seconds)', { exact: true }).fill('604800');
  await page.getByRole('button', { name: 'Save token lifetimes' }).click();
  await page.waitForURL(`${baseUrl}/console/apps/${appId}?done=saved&section=lifetimes#lifetimes`);
  const saved = (await api('GET', `/v1/apps/${appId}/config`)).body;
  result.steps.settings = {
    notice: (await page.locator('#saved-lifetimes').textContent())?.trim(),
    otherNotices: await page.locator('.notice[id^="saved-"]').count(),
    accessMode: saved?.accessMode,
    codeTimeoutSeconds: saved?.codeTimeoutSeconds,
    ipRanges: await page.getByLabel('Allowed IP ranges').inputValue(),
    qrCode: await page.locator('.qr svg').count(),
    saveButtons: await page.getByRole('button', { name: /^Save / }).count(),
  };
  await checkAccessibility(page, 'settings');
  await shoot(page, 'settings.png');

  // 4. Create a user with a password.
  await page.goto(`${baseUrl}/console/apps/${appId}/users`);
  await page.getByLabel('Email', { exact: true }).fill(userEmail);
  await page.getByLabel('Password', { exact: true }).fill(userPassword);
  await page.getByLabel('The email is verified').check();
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.waitForURL(/\/users\/[0-9a-f-]{36}\?done=created$/);
  const userUrl = page.url().split('?')[0];
  result.steps.createUser = { id: userUrl.split('/').pop(), heading: (await page.locator('h1').textContent())?.trim() };

  // 5. Invite another person.
  await page.goto(`${baseUrl}/console/apps/${appId}/users`);
  await page.getByLabel('Email or phone to invite').fill(inviteeEmail);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await page.waitForURL(/done=invited/);
  result.steps.invite = (await page.locator('.notice').first().textContent())?.trim();
  await checkAccessibility(page, 'users');
  await shoot(page, 'users.png');

  // 6. The user signs in through the JSON API, as an app would.
  const signIn = await api('POST', `/v1/apps/${appId}/login`,
    { handle: userEmail, password: userPassword, device: { name: 'E2E phone', platform: 'android' } });
  result.steps.apiSignIn = signIn.status;
  await api('POST', `/v1/apps/${appId}/login`, { handle: userEmail, password: 'not the password at all' });
  const mine = await fetch(`${baseUrl}/v1/apps/${appId}/me/sessions`, { headers: { authorization: `Bearer ${signIn.body.access_token}` } });
  result.steps.sessionId = (await mine.json())[0]?.id ?? null;

  // 7. The app's dashboard counts that sign-in and the failure; the switcher leads to the other apps.
  await page.goto(`${baseUrl}/console/apps/${appId}/dashboard`);
  const figure = async id => Number((await page.locator(`#figure-${id}`).textContent())?.trim());
  result.steps.dashboard = {
    users: await figure('users'), sessions: await figure('sessions'), signIns: await figure('signins'), failures: await figure('failures'),
    chart: await page.locator('svg#signins-chart rect').count(),
    events: (await page.locator('#security-events').textContent())?.replace(/\s+/g, ' ').trim(),
    switcher: await page.locator('.switcher summary').count(),
  };
  await checkAccessibility(page, 'dashboard');
  await shoot(page, 'dashboard.png');
  await page.locator('.switcher summary').click();
  await shoot(page, 'switcher.png');

  // 8. Open the user's page (profile, last sign-in, history, devices) and revoke that session.
  await page.goto(userUrl);
  result.steps.userPage = {
    lastSignIn: (await page.locator('#last-signin').textContent())?.trim(),
    history: await page.locator('#signin-history tbody tr').count(),
    failed: await page.locator('#signin-history .badge.bad').count(),
  };
  const row = page.getByRole('row').filter({ hasText: 'E2E phone' });
  result.steps.sessionShown = await row.count();
  await checkAccessibility(page, 'user');
  await shoot(page, 'user.png');
  await row.getByRole('button', { name: /^Revoke the session/ }).click();
  await page.waitForURL(/done=session-revoked/);
  result.steps.revoke = {
    notice: (await page.locator('.notice').first().textContent())?.trim(),
    rowsLeft: await page.getByRole('row').filter({ hasText: 'E2E phone' }).count(),
  };
  const refreshed = await api('POST', `/v1/apps/${appId}/token`, { refresh_token: signIn.body.refresh_token });
  result.steps.refreshAfterRevoke = { status: refreshed.status, code: refreshed.body?.code };

  // 9. The outbox shows the invitation with its code.
  await page.goto(`${baseUrl}/console/apps/${appId}/outbox`);
  const invitation = page.getByRole('row').filter({ hasText: inviteeEmail });
  result.steps.outbox = { invitations: await invitation.count(), hasCode: /\b\d{6}\b/.test((await invitation.first().textContent()) ?? '') };
  await checkAccessibility(page, 'outbox');
  await shoot(page, 'outbox.png');

  // 10. The audit trail names what happened, and its chain verifies.
  await page.goto(`${baseUrl}/console/apps/${appId}/audit`);
  const trail = (await page.locator('#audit-records').textContent()) ?? '';
  result.steps.audit = {
    chain: (await page.locator('#chain-status').textContent())?.replace(/\s+/g, ' ').trim(),
    words: trail.replace(/\s+/g, ' ').includes(`${adminEmail} created the user ${userEmail}`),
    actions: ['app.create', 'app.update', 'user.create', 'user.read', 'user.session.revoke', 'signin'].filter(a => trail.includes(a)),
  };
  await checkAccessibility(page, 'audit');
  await shoot(page, 'audit.png');

  // 11. A phone-sized screen: the settings page (and the others) without sideways scrolling.
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  for (const [name, path] of [['apps', '/console'], ['dashboard', `/console/apps/${appId}/dashboard`], ['settings', `/console/apps/${appId}`], ['users', `/console/apps/${appId}/users`],
    ['user', userUrl.replace(baseUrl, '')], ['outbox', `/console/apps/${appId}/outbox`], ['audit', `/console/apps/${appId}/audit`]]) {
    await phone.goto(baseUrl + path);
    const width = await phone.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
    if (width.scroll > width.view) result.overflow.push(`${name}: ${width.scroll} > ${width.view}`);
    await checkAccessibility(phone, `${name} (phone)`);
    await shoot(phone, `${name}-phone.png`);
  }
  result.steps.phone = true;
} catch (e) {
  result.error = String(e?.stack ?? e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
