// Passkeys end to end in a real browser: Debian's Chromium, driven by playwright-core, with a
// CTAP2 virtual authenticator (Chrome DevTools Protocol, WebAuthn domain) on the demo page the
// server serves. Registration and assertions are also judged by @simplewebauthn/server.
// usage: node passkeys-chromium.mjs <baseUrl (http://localhost:PORT)> <appId> <accessToken> <email> <password> [<clientId> <loopbackRedirectUri>]
// prints one JSON object with what each step answered; the C# test asserts on it.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { verifyRegistrationResponse, verifyAuthenticationResponse } from '@simplewebauthn/server';

const [baseUrl, appId, accessToken, email, password, clientId, redirectUri] = process.argv.slice(2);
const api = `${baseUrl}/v1/apps/${appId}`;
const origin = new URL(baseUrl).origin;
const rpID = new URL(baseUrl).hostname;

const call = async (method, path, body, bearer) => {
  const headers = { 'content-type': 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
};
const judge = async (verify) => {
  try {
    const { verified, registrationInfo } = await verify();
    return { verified, fmt: registrationInfo?.fmt, publicKey: registrationInfo?.credential?.publicKey };
  } catch (e) {
    return { verified: false, error: String(e?.message ?? e) };
  }
};
// Runs one of the page's steps; an HTTP refusal comes back as { status, body } too.
const onPage = (page, step, arg) => page.evaluate(async ([name, value]) => {
  try {
    return { status: 200, body: await window.latchkeyPasskeys[name](value) };
  } catch (e) {
    return { status: e.status ?? 0, body: e.problem ?? { error: String(e) } };
  }
}, [step, arg]);

const authenticatorOptions = {
  protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
  isUserVerified: true, automaticPresenceSimulation: true,
};

const browser = await chromium.launch({ executablePath: process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium', headless: true });
const result = { chromium: browser.version() };
try {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: authenticatorOptions });
  const credentials = async (id) => (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id })).credentials;
  await page.goto(`${api}/passkeys/demo#token=${accessToken}`);
  result.secureContext = await page.evaluate(() => window.isSecureContext);

  // 1. Registration: the browser creates the credential, simplewebauthn and the server judge it.
  const created = await page.evaluate(() => window.latchkeyPasskeys.create(undefined, 'direct'));
  const independent = await judge(() => verifyRegistrationResponse({
    response: created.credential, expectedChallenge: created.challenge, expectedOrigin: origin, expectedRPID: rpID,
    requireUserVerification: false,
  }));
  const registered = await call('POST', '/me/passkeys', { ceremonyId: created.ceremonyId, credential: created.credential, name: 'Chromium' }, accessToken);
  result.registration = { status: registered.status, body: registered.body, simplewebauthn: independent.verified, fmt: independent.fmt, error: independent.error };
  const [afterRegistration] = await credentials(authenticatorId);
  result.authenticator = { credentialId: afterRegistration?.credentialId, resident: afterRegistration?.isResidentCredential, signCount: afterRegistration?.signCount };

  // 2. Passwordless sign-in, all in the page.
  result.signIn = await onPage(page, 'signIn');

  // 3. Another assertion, judged by simplewebauthn against the counter the server stored, then by the server.
  const counter = (await call('GET', '/me/passkeys', undefined, accessToken)).body?.[0]?.signCount ?? 0;
  const asserted = await page.evaluate(() => window.latchkeyPasskeys.assert());
  result.assertion = await judge(() => verifyAuthenticationResponse({
    response: asserted.credential, expectedChallenge: asserted.challenge, expectedOrigin: origin, expectedRPID: rpID,
    requireUserVerification: true,
    credential: { id: asserted.credential.id, publicKey: independent.publicKey, counter },
  }));
  delete result.assertion.publicKey;
  result.assertion.server = await call('POST', '/login/passkey', { ceremonyId: asserted.ceremonyId, credential: asserted.credential });
  result.assertion.storedBefore = counter;
  // The same response again: its ceremony is spent.
  result.replay = await call('POST', '/login/passkey', { ceremonyId: asserted.ceremonyId, credential: asserted.credential });

  // 4. The passkey as the second factor of a password sign-in.
  const login = await call('POST', '/login', { handle: email, password });
  result.login = { status: login.status, code: login.body?.code, methods: login.body?.methods };
  if (login.body?.mfaToken) {
    result.secondFactor = await onPage(page, 'secondFactor', login.body.mfaToken);
  }

  // 4b. The passkey button of the OpenID Connect sign-in page (X1), then the code exchange.
  if (clientId) {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const callback = new URL(redirectUri);
    let arrived;
    const listener = http.createServer((request, response) => {
      const url = new URL(request.url, callback.origin);
      if (url.pathname === callback.pathname) arrived = url;
      response.end('signed in');
    });
    await new Promise((resolve) => listener.listen(Number(callback.port), '127.0.0.1', resolve));
    try {
      const query = new URLSearchParams({
        client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email', state: 'pk', nonce: 'pk',
        code_challenge: challenge, code_challenge_method: 'S256',
      });
      await page.goto(`${api}/oauth/authorize?${query}`);
      const shown = await page.isVisible('#passkey');
      await page.click('#passkey');
      await page.waitForURL((u) => u.toString().startsWith(redirectUri));
      const exchanged = await fetch(`${api}/oauth/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: arrived.searchParams.get('code'), redirect_uri: redirectUri, code_verifier: verifier }),
      });
      const body = await exchanged.json();
      const claims = body.id_token ? JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url')) : {};
      result.oidcPasskey = { shown, status: exchanged.status, sub: claims.sub, amr: claims.amr, error: body.error };
    } finally {
      listener.closeAllConnections();
      listener.close();
    }
    await page.goto(`${api}/passkeys/demo#token=${accessToken}`);
  }

  // 5. A cloned authenticator: the same private key in a new authenticator whose counter is behind.
  const [original] = await credentials(authenticatorId);
  result.beforeClone = { signCount: original.signCount, server: (await call('GET', '/me/passkeys', undefined, accessToken)).body?.[0]?.signCount };
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  const { authenticatorId: cloneId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: authenticatorOptions });
  await cdp.send('WebAuthn.addCredential', { authenticatorId: cloneId, credential: { ...original, signCount: 0 } });
  result.clone = await onPage(page, 'signIn');
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
