using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Problems;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// "Forgot your password?" on the sign-in page: the app's own recovery (<see cref="Recovery.PasswordRecovery"/>,
/// a code or a link by email, per app), the same answer whether the email has an account or not; with
/// a code, the new password is set here and the page goes back to signing in.
/// </summary>
public sealed partial class AuthorizeEndpoint
{
    private async Task<IResult> SendRecoveryAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        var typed = form[SignInPage.Fields.Handle].ToString().Trim();
        if (!EmailAddress.TryNormalise(typed, out var email))
        {
            return SignInPage.Recover(app, request, Antiforgery(http), typed, "Enter the email address of your account.");
        }
        try
        {
            await recovery.StartAsync(app, email, SignInText.LanguageOf(http, request), ct);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            return SignInPage.Recover(app, request, Antiforgery(http), typed, problem.ForPage());
        }
        return SignInPage.RecoveryCode(app, request, Antiforgery(http), email, error: null);
    }

    private async Task<IResult> ResetPasswordAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        if (!EmailAddress.TryNormalise(form[SignInPage.Fields.Handle].ToString(), out var email))
        {
            return SignInPage.Recover(app, request, Antiforgery(http), handle: null, "Enter the email address of your account.");
        }
        var code = form[SignInPage.Fields.Code].ToString().Trim();
        var newPassword = form[SignInPage.Fields.NewPassword].ToString();
        try
        {
            await recovery.ResetWithCodeAsync(app, email, code, newPassword, ct);
        }
        catch (ProblemException problem) when (problem is { Status: < 500, Code: "code_invalid" or "invalid_request" })
        {
            return SignInPage.RecoveryCode(app, request, Antiforgery(http), email, problem.ForPage());
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            return SignInPage.Recover(app, request, Antiforgery(http), email, problem.ForPage());
        }
        return await PasswordPageAsync(app, http, request, email, error: null, ct, notice: "Your password is changed. Sign in with it.");
    }
}
