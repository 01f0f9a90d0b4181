using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Login;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Problems;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The sign-in page's code method (MISSION B2, B3): a code by email or SMS, sent and checked by the
/// JSON API's own code sign-in (<see cref="CodeLoginEndpoints"/>), so the throttles, the decoys for
/// unknown handles and the sign-up of a new one (where the app lets people sign up) are the same.
/// </summary>
public sealed partial class AuthorizeEndpoint
{
    private async Task<IResult> SendCodeAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        var typed = form[SignInPage.Fields.Handle].ToString().Trim();
        if (typed.Length is 0 or > EmailAddress.MaxLength)
        {
            return await PasswordPageAsync(app, http, request, typed, "Enter your email" + (app.Settings.Allows(SignInMethods.SmsCode) ? " or phone number." : "."), ct);
        }
        try
        {
            var handle = HandleInput.ParseAny(typed, "handle");
            var sent = await CodeLoginEndpoints.StartAsync(app, handle, device: null, SignInText.LanguageOf(http, request), accounts, challenges, ct);
            return SignInPage.CodeEntry(app, request, Antiforgery(http), sent.ChallengeId, typed, sent.ExpiresIn, error: null);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            return await PasswordPageAsync(app, http, request, typed, problem.ForPage(), ct);
        }
    }

    private async Task<IResult> CheckCodeAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        var handle = form[SignInPage.Fields.Handle].ToString();
        var code = form[SignInPage.Fields.Code].ToString().Trim();
        if (!Guid.TryParse(form[SignInPage.Fields.Challenge], out var challengeId) || handle.Length > EmailAddress.MaxLength)
        {
            return await PasswordPageAsync(app, http, request, handle: null, "Sign in again.", ct);
        }
        try
        {
            var (user, _, challenge) = await CodeLoginEndpoints.CompleteAsync(app, challengeId, code, challenges, flows, ct);
            if (user.Disabled)
            {
                return await PasswordPageAsync(app, http, request, handle, Problems.UserDisabled().Message, ct);
            }
            var amr = challenge.Channel == Delivery.Channels.Sms ? FirstFactorSeal.Sms : AuthenticationMethodReferences.OneTimePassword;
            return await FirstFactorPassedAsync(app, http, request, user, amr, ct);
        }
        catch (ProblemException problem) when (problem is { Status: < 500, Code: "code_invalid" })
        {
            return SignInPage.CodeEntry(app, request, Antiforgery(http), challengeId, handle, expiresIn: null, problem.Message);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            // An expired or spent code, too many tries: start again from the first page.
            return await PasswordPageAsync(app, http, request, handle, problem.ForPage(), ct);
        }
    }
}
