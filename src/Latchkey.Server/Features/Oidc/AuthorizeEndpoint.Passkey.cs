using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Passkeys;
using Latchkey.Server.Infrastructure.Problems;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// A passkey on the sign-in page, where the browser can (the page's script asks the JSON API for the
/// options and posts the assertion here): the JSON API's passwordless ceremony
/// (<see cref="PasskeyEndpoints.ThrottledSignInAsync"/>), with its throttle. A passkey verifies its user, so no
/// second factor follows, as at <c>/login/passkey</c>.
/// </summary>
public sealed partial class AuthorizeEndpoint
{
    /// <summary>More than any assertion's JSON (an authenticator's data, signature and client data).</summary>
    private const int MaxAssertionLength = 16 * 1024;

    private async Task<IResult> CheckPasskeyAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        const string incomplete = "The passkey sign-in did not complete. Try again, or sign in another way.";
        var json = form[SignInPage.Fields.Assertion].ToString();
        if (!Guid.TryParse(form[SignInPage.Fields.Ceremony], out var ceremonyId) || json.Length is 0 or > MaxAssertionLength)
        {
            return await PasswordPageAsync(app, http, request, handle: null, incomplete, ct);
        }
        PasskeyCredentialJson? credential;
        try
        {
            credential = JsonSerializer.Deserialize<PasskeyCredentialJson>(json, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return await PasswordPageAsync(app, http, request, handle: null, incomplete, ct);
        }
        try
        {
            var user = await PasskeyEndpoints.ThrottledSignInAsync(app, ceremonyId, credential, passkeys, throttle, ct);
            // RFC 8176: proof of possession of a key the authenticator keeps, which verified its user.
            return SignedIn(app, http, request, user, [AuthenticationMethodReferences.HardwareKey, AuthenticationMethodReferences.UserPresence]);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            return await PasswordPageAsync(app, http, request, handle: null, problem.Message, ct);
        }
    }
}
