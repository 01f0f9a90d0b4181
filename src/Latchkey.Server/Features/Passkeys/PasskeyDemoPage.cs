using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Http;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// GET /v1/apps/{appId}/passkeys/demo: a page that runs the ceremonies against this server in a
/// browser, for a developer trying passkeys out and for the Chromium end-to-end test. A bearer
/// token comes in the fragment (<c>#token=…</c>, never sent to a server); the script exposes
/// <c>window.latchkeyPasskeys</c> so a test can drive each step.
/// </summary>
public static class PasskeyDemoPage
{
    internal static IResult Serve(CurrentApp app, HttpContext context)
    {
        // Note: the one page with a script: only its own, by nonce, and it talks only to this origin.
        var nonce = Secrets.NewToken(16);
        context.Response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
        context.Response.Headers.XFrameOptions = "DENY";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        return Results.Content(Html(app.App.Name, nonce), "text/html; charset=utf-8");
    }

    private static string Html(string appName, string nonce) => $$"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Passkeys · {{HtmlPages.Encode(appName)}}</title>
        <style>
        body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1f}
        button{font:inherit;padding:.6rem .8rem;border-radius:.4rem;border:0;background:#1b4dd8;color:#fff;cursor:pointer;margin:.3rem .3rem .3rem 0}
        pre{background:#f3f3f6;padding:.8rem;border-radius:.4rem;white-space:pre-wrap;word-break:break-all}
        </style>
        </head>
        <body>
        <main>
        <h1>Passkeys · {{HtmlPages.Encode(appName)}}</h1>
        <p>Register a passkey for the signed-in user (open this page with <code>#token=ACCESS_TOKEN</code>), or sign in with one.</p>
        <button id="register" type="button">Register a passkey</button>
        <button id="signin" type="button">Sign in with a passkey</button>
        <pre id="out" aria-live="polite"></pre>
        </main>
        <script nonce="{{nonce}}">
        (() => {
          'use strict';
          const base = location.pathname.replace(/\/passkeys\/demo\/?$/, '');
          const enc = (buffer) => {
            const bytes = new Uint8Array(buffer);
            let text = '';
            for (const b of bytes) text += String.fromCharCode(b);
            return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
          };
          const dec = (text) => {
            const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
            const raw = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
            return Uint8Array.from(raw, (c) => c.charCodeAt(0));
          };
          const descriptors = (list) => (list || []).map((d) => ({ ...d, id: dec(d.id) }));
          const creationOptions = (json) => PublicKeyCredential.parseCreationOptionsFromJSON
            ? PublicKeyCredential.parseCreationOptionsFromJSON(json)
            : { ...json, challenge: dec(json.challenge), user: { ...json.user, id: dec(json.user.id) }, excludeCredentials: descriptors(json.excludeCredentials) };
          const requestOptions = (json) => PublicKeyCredential.parseRequestOptionsFromJSON
            ? PublicKeyCredential.parseRequestOptionsFromJSON(json)
            : { ...json, challenge: dec(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
          const toJSON = (credential) => {
            if (typeof credential.toJSON === 'function') return credential.toJSON();
            const r = credential.response;
            const response = { clientDataJSON: enc(r.clientDataJSON) };
            if (r.attestationObject) {
              response.attestationObject = enc(r.attestationObject);
              response.transports = r.getTransports ? r.getTransports() : [];
            } else {
              response.authenticatorData = enc(r.authenticatorData);
              response.signature = enc(r.signature);
              if (r.userHandle) response.userHandle = enc(r.userHandle);
            }
            return { id: credential.id, rawId: enc(credential.rawId), type: credential.type, response,
              authenticatorAttachment: credential.authenticatorAttachment, clientExtensionResults: credential.getClientExtensionResults() };
          };
          const token = () => new URLSearchParams(location.hash.slice(1)).get('token');
          const api = async (path, body, bearer) => {
            const headers = { 'content-type': 'application/json' };
            if (bearer) headers.authorization = 'Bearer ' + bearer;
            const response = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
            const text = await response.text();
            const json = text ? JSON.parse(text) : null;
            if (!response.ok) {
              const error = new Error((json && json.detail) || ('HTTP ' + response.status));
              error.status = response.status;
              error.problem = json;
              throw error;
            }
            return json;
          };
          const split = ({ ceremonyId, ...options }) => ({ ceremonyId, options });

          const passkeys = {
            /** Runs navigator.credentials.create for the signed-in user; answers { ceremonyId, challenge, credential } unsent. */
            async create(bearer = token(), attestation = 'none') {
              const { ceremonyId, options } = split(await api('/me/passkeys/options', { attestation }, bearer));
              const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
              return { ceremonyId, challenge: options.challenge, credential: toJSON(credential) };
            },
            async register(bearer = token(), attestation = 'none', name = 'Demo passkey') {
              const { ceremonyId, credential } = await passkeys.create(bearer, attestation);
              return api('/me/passkeys', { ceremonyId, credential, name }, bearer);
            },
            /** Runs navigator.credentials.get for a passwordless sign-in; answers { ceremonyId, challenge, credential } unsent. */
            async assert() {
              const { ceremonyId, options } = split(await api('/login/passkey/options', {}));
              const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
              return { ceremonyId, challenge: options.challenge, credential: toJSON(credential) };
            },
            async signIn() {
              const { ceremonyId, credential } = await passkeys.assert();
              return api('/login/passkey', { ceremonyId, credential });
            },
            /** Completes a sign-in that answered mfa_required, with a passkey. */
            async secondFactor(mfaToken) {
              const { options } = split(await api('/login/mfa/passkey/options', { mfaToken }));
              const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
              return api('/login/mfa', { mfaToken, method: 'passkey', assertion: toJSON(credential) });
            },
            post: api,
          };
          window.latchkeyPasskeys = passkeys;

          const out = document.getElementById('out');
          const show = async (work) => {
            try { out.textContent = JSON.stringify(await work(), null, 2); }
            catch (e) { out.textContent = 'Error: ' + e.message; }
          };
          document.getElementById('register').addEventListener('click', () => show(() => passkeys.register()));
          document.getElementById('signin').addEventListener('click', () => show(() => passkeys.signIn()));
        })();
        </script>
        </body>
        </html>
        """;
}
