using Latchkey.Server.Features.Apps;
using static Latchkey.Server.Infrastructure.Http.HtmlPages;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The passkey button of the first page: hidden, and shown by the page's script only where the
/// browser has WebAuthn. The script asks the JSON API for the ceremony's options
/// (<c>login/passkey/options</c>), runs <c>navigator.credentials.get</c> and posts the assertion with
/// the form; without script the page works as before, without the button.
/// </summary>
public static partial class SignInPage
{
    /// <summary>Inside the first page's form: the step button and the fields the script fills (empty without script).</summary>
    private static string PasskeyButton(App app) => $"""
        <input type="hidden" name="{Fields.Ceremony}" value="">
        <input type="hidden" name="{Fields.Assertion}" value="">
        <button type="submit" class="secondary" id="passkey" name="{Fields.Step}" value="{Steps.Passkey}" formnovalidate hidden
         data-options="/v1/apps/{Encode(app.Id)}/login/passkey/options">Sign in with a passkey</button>
        <p id="passkey-status" role="status"></p>
        """;

    private static string PasskeyScript(string nonce) => $$"""
        <script nonce="{{nonce}}">
        (() => {
          'use strict';
          const button = document.getElementById('passkey');
          const form = button.form;
          if (!window.PublicKeyCredential || !navigator.credentials) return;
          button.hidden = false;
          const enc = (buffer) => {
            let text = '';
            for (const b of new Uint8Array(buffer)) text += String.fromCharCode(b);
            return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
          };
          const dec = (text) => {
            const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
            return Uint8Array.from(atob(b64 + '='.repeat((4 - b64.length % 4) % 4)), (c) => c.charCodeAt(0));
          };
          const requestOptions = (json) => PublicKeyCredential.parseRequestOptionsFromJSON
            ? PublicKeyCredential.parseRequestOptionsFromJSON(json)
            : { ...json, challenge: dec(json.challenge), allowCredentials: (json.allowCredentials || []).map((d) => ({ ...d, id: dec(d.id) })) };
          const toJSON = (credential) => {
            if (typeof credential.toJSON === 'function') return credential.toJSON();
            const r = credential.response;
            const response = { clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData), signature: enc(r.signature) };
            if (r.userHandle) response.userHandle = enc(r.userHandle);
            return { id: credential.id, rawId: enc(credential.rawId), type: credential.type, response,
              authenticatorAttachment: credential.authenticatorAttachment, clientExtensionResults: credential.getClientExtensionResults() };
          };
          button.addEventListener('click', async (event) => {
            if (form.elements['{{Fields.Assertion}}'].value) return;
            event.preventDefault();
            const status = document.getElementById('passkey-status');
            try {
              const answer = await fetch(button.dataset.options, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
              if (!answer.ok) throw new Error('The passkey sign-in could not start; sign in another way.');
              const { ceremonyId, ...options } = await answer.json();
              const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
              form.elements['{{Fields.Ceremony}}'].value = ceremonyId;
              form.elements['{{Fields.Assertion}}'].value = JSON.stringify(toJSON(credential));
              form.requestSubmit(button);
            } catch (e) {
              status.textContent = e && e.name === 'NotAllowedError' ? 'No passkey was used.' : (e.message || 'No passkey was used.');
            }
          });
        })();
        </script>
        """;
}
