// A certified relying party against one app's provider (X1), with the sign-in page filled in
// Debian's Chromium: npm openid-client (panva, OpenID Certified) for the code flow with PKCE,
// the ID token's signature against the JWKS, userinfo, refresh (and its retry), revocation,
// end-session, prompt=none for a second client and client_credentials for a confidential one;
// then npm @openid/appauth (AppAuth-JS, the sibling of AppAuth-iOS and -Android) for the same
// code flow. Prints one JSON object of what each step saw; the C# test asserts on it.
//
//   node oidc-relying-party.mjs <issuer> <config JSON>
//   config: { email, password, native, second, confidential: { id, secret }, redirectUri, postLogoutRedirectUri }
import http from 'node:http';
import { createRequire } from 'node:module';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';

const require = createRequire(import.meta.url);
const appauth = require('@openid/appauth');
const { NodeBasedHandler, NodeCrypto, NodeRequestor } = require('@openid/appauth/built/node_support');

const [issuer, configJson] = process.argv.slice(2);
const settings = JSON.parse(configJson);
const steps = {};
const insecure = { execute: [client.allowInsecureRequests] };

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const context = await browser.newContext();
const page = await context.newPage();

// The loopback redirect of a desktop client (RFC 8252 §7.3): a real listener on the client's port.
// Only its redirect paths count: Chromium asks the same origin for /favicon.ico as well.
let lastRedirect;
const loopback = new URL(settings.redirectUri);
const redirectPaths = [loopback.pathname, new URL(settings.postLogoutRedirectUri).pathname];
const listener = http.createServer((request, response) => {
    const arrived = new URL(request.url, loopback.origin);
    if (redirectPaths.includes(arrived.pathname)) {
        lastRedirect = arrived;
    }
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end('You can close this window.');
});
await new Promise(resolve => listener.listen(Number(loopback.port), '127.0.0.1', resolve));

/** Opens an authorization URL; fills the sign-in page when it shows; answers the URL the provider redirected to. */
async function authorize(url, redirectTo, { signIn = true } = {}) {
    lastRedirect = undefined;
    const arrived = u => u.toString().startsWith(redirectTo);
    await page.goto(url.toString());
    if (signIn && !arrived(page.url())) {
        await page.getByLabel('Email').fill(settings.email);
        await page.getByLabel('Password').fill(settings.password);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.waitForURL(arrived);
    }
    if (!arrived(page.url()) || !lastRedirect) {
        throw new Error(`No redirect to ${redirectTo}; the page at ${page.url()} shows: ${(await page.textContent('body'))?.slice(0, 300)}`);
    }
    return lastRedirect;
}

/** What a refused call answered: "STATUS error" (e.g. "400 invalid_grant"), or null when it succeeded. */
async function failure(promise) {
    try {
        await promise;
        return null;
    } catch (e) {
        return `${e.status ?? e.cause?.status ?? '?'} ${e.error ?? e.code ?? e.message}`;
    }
}

try {
    // --- openid-client -------------------------------------------------------------------------
    const config = await client.discovery(new URL(issuer), settings.native, undefined, client.None(), insecure);
    client.enableNonRepudiationChecks(config);
    const metadata = config.serverMetadata();
    steps.discovery = { issuer: metadata.issuer, pkce: metadata.code_challenge_methods_supported };

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri, scope: 'openid email offline_access', state, nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const callback = await authorize(url, settings.redirectUri);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims();
    steps.code = { sub: claims.sub, aud: claims.aud, email: claims.email, amr: claims.amr, hasRefresh: !!tokens.refresh_token, scope: tokens.scope };

    // The ID token verified again by jose against the JWKS the discovery document names.
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { protectedHeader } = await jwtVerify(tokens.id_token, jwks, { issuer, audience: settings.native });
    steps.idToken = { alg: protectedHeader.alg, kid: protectedHeader.kid };

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    steps.userinfo = { sub: userinfo.sub, email: userinfo.email };

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    const retried = await client.refreshTokenGrant(config, tokens.refresh_token);
    steps.refresh = {
        rotated: refreshed.refresh_token !== tokens.refresh_token,
        retrySameSuccessor: retried.refresh_token === refreshed.refresh_token,
        idTokenSub: refreshed.claims()?.sub ?? null,
    };

    // prompt=none for a second client of the same app: the browser session signs it in without a page.
    const second = await client.discovery(new URL(issuer), settings.second, undefined, client.None(), insecure);
    const secondVerifier = client.randomPKCECodeVerifier();
    const secondState = client.randomState();
    const silentUrl = client.buildAuthorizationUrl(second, {
        redirect_uri: settings.redirectUri, scope: 'openid', state: secondState, prompt: 'none',
        code_challenge: await client.calculatePKCECodeChallenge(secondVerifier), code_challenge_method: 'S256',
    });
    const silent = await authorize(silentUrl, settings.redirectUri, { signIn: false });
    const secondTokens = await client.authorizationCodeGrant(second, silent, { pkceCodeVerifier: secondVerifier, expectedState: secondState });
    steps.promptNone = { sameUser: secondTokens.claims().sub === claims.sub, aud: secondTokens.claims().aud, hasRefresh: !!secondTokens.refresh_token };

    // Revocation by the public client of its own refresh token ends the session.
    await client.tokenRevocation(config, refreshed.refresh_token);
    steps.revocation = { refreshAfter: await failure(client.refreshTokenGrant(config, refreshed.refresh_token)) };

    // client_credentials for a confidential client (client_secret_basic), checked by introspection.
    const backend = await client.discovery(new URL(issuer), settings.confidential.id, undefined,
        client.ClientSecretBasic(settings.confidential.secret), insecure);
    const own = await client.clientCredentialsGrant(backend, { scope: settings.confidential.scope });
    const introspected = await client.tokenIntrospection(backend, own.access_token);
    steps.clientCredentials = { sub: decodeJwt(own.access_token).sub, scope: own.scope, active: introspected.active, hasRefresh: !!own.refresh_token };

    // RP-initiated logout with the second client's ID token: back to its registered URI, and its session is over.
    const logoutState = client.randomState();
    const endSession = client.buildEndSessionUrl(second, {
        id_token_hint: secondTokens.id_token, post_logout_redirect_uri: settings.postLogoutRedirectUri, state: logoutState,
    });
    const signedOut = await authorize(endSession, settings.postLogoutRedirectUri, { signIn: false });
    steps.endSession = {
        state: signedOut.searchParams.get('state') === logoutState,
        userinfoAfter: await failure(client.fetchUserInfo(second, secondTokens.access_token, claims.sub)),
    };

    // --- AppAuth-JS ----------------------------------------------------------------------------
    const requestor = new NodeRequestor();
    const appauthConfig = await appauth.AuthorizationServiceConfiguration.fetchFromIssuer(issuer, requestor);
    const request = new appauth.AuthorizationRequest({
        client_id: settings.native, redirect_uri: settings.redirectUri, scope: 'openid email offline_access',
        response_type: appauth.AuthorizationRequest.RESPONSE_TYPE_CODE, extras: { nonce: client.randomNonce() },
    }, new NodeCrypto(), true);
    await request.setupCodeVerifier();
    // Note: NodeBasedHandler would open the system's browser; its URL goes to Chromium here instead.
    const appauthUrl = new NodeBasedHandler().buildRequestUrl(appauthConfig, request);
    // The browser session was ended by the logout above: AppAuth's run fills the page again.
    const appauthCallback = await authorize(appauthUrl, settings.redirectUri);
    const returned = Object.fromEntries(appauthCallback.searchParams);
    if (returned.state !== request.state) {
        throw new Error('AppAuth: the state came back changed');
    }
    const tokenHandler = new appauth.BaseTokenRequestHandler(requestor);
    const exchanged = await tokenHandler.performTokenRequest(appauthConfig, new appauth.TokenRequest({
        client_id: settings.native, redirect_uri: settings.redirectUri, grant_type: appauth.GRANT_TYPE_AUTHORIZATION_CODE,
        code: returned.code, extras: { code_verifier: request.internal.code_verifier },
    }));
    const appauthRefresh = await tokenHandler.performTokenRequest(appauthConfig, new appauth.TokenRequest({
        client_id: settings.native, redirect_uri: settings.redirectUri, grant_type: appauth.GRANT_TYPE_REFRESH_TOKEN,
        refresh_token: exchanged.refreshToken,
    }));
    await tokenHandler.performRevokeTokenRequest(appauthConfig, new appauth.RevokeTokenRequest({
        token: appauthRefresh.refreshToken, token_type_hint: 'refresh_token', client_id: settings.native,
    }));
    const idToken = await jwtVerify(exchanged.idToken, jwks, { issuer, audience: settings.native });
    steps.appauth = {
        sub: idToken.payload.sub,
        nonce: idToken.payload.nonce === request.extras.nonce,
        refreshed: !!appauthRefresh.accessToken && appauthRefresh.refreshToken !== exchanged.refreshToken,
        afterRevoke: await failure(client.refreshTokenGrant(config, appauthRefresh.refreshToken)),
    };
    console.log(JSON.stringify({ steps }));
} catch (e) {
    console.log(JSON.stringify({ steps, error: `${e.name}: ${e.message} ${e.error ?? ''} ${e.error_description ?? ''}`.trim(),
        cause: e.cause ? `${e.cause.message ?? ''} ${e.cause.code ?? ''} ${JSON.stringify(e.cause.cause ?? '')}` : undefined, stack: e.stack }));
} finally {
    await browser.close();
    listener.closeAllConnections();
    listener.close();
}
