using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Infrastructure.Problems;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// Sign-up on the sign-in page, by the app's own flow (<see cref="SignUpEndpoints.StartAsync"/>): an
/// open app signs the new user in at once (and sends the verification its flow asks for); a
/// registered one first sends the code, entered here, or the link, opened from the message.
/// </summary>
public sealed partial class AuthorizeEndpoint
{
    private async Task<IResult> CreateAccountAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        var typed = form[SignInPage.Fields.Handle].ToString().Trim();
        var username = form[SignInPage.Fields.Username].ToString().Trim();
        var password = form[SignInPage.Fields.NewPassword].ToString();
        var isEmail = typed.Contains('@');
        var signUp = new SignUpEndpoints.SignUpRequest
        {
            Email = isEmail ? typed : null,
            Phone = isEmail ? null : typed,
            Password = password.Length == 0 ? null : password,
            Username = username.Length == 0 ? null : username,
        };
        if (typed.Length is 0 or > 320 || password.Length > 4096 || username.Length > 200)
        {
            return SignInPage.SignUp(app, request, Antiforgery(http), typed, username, "Enter your email and a password.");
        }
        SignUpEndpoints.Started started;
        try
        {
            started = await SignUpEndpoints.StartAsync(app, signUp, accounts, hasher, policy, flows, budget, ct);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            return SignInPage.SignUp(app, request, Antiforgery(http), typed, username, problem.ForPage());
        }
        if (started.Pending is { } pending)
        {
            return SignInPage.SignUpPending(app, request, Antiforgery(http), pending.VerificationId, pending.Flow, pending.ExpiresIn, typed, error: null);
        }
        var created = started.Created!;
        if (app.Settings.SignupFlow != SignupFlows.None)
        {
            await flows.StartAsync(app, ChallengePurposes.Verify, started.Handle, created.User.Id, null, SignInText.LanguageOf(http, request), ct,
                sendBudgetSpent: true);
        }
        return await FirstFactorPassedAsync(app, http, request, created.User, AuthenticationMethodReferences.Password, ct);
    }

    private async Task<IResult> CheckSignUpCodeAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        var handle = form[SignInPage.Fields.Handle].ToString();
        if (!Guid.TryParse(form[SignInPage.Fields.Challenge], out var challengeId) || handle.Length > 320)
        {
            return await PasswordPageAsync(app, http, request, handle: null, "Sign up again.", ct);
        }
        try
        {
            var challenge = await challenges.VerifyCodeAsync(app, challengeId, form[SignInPage.Fields.Code].ToString().Trim(), VerificationFlows.SignupPurposes, ct);
            var (user, _) = await flows.CompleteAsync(app, challenge, ct);
            return await FirstFactorPassedAsync(app, http, request, user, AuthenticationMethodReferences.OneTimePassword, ct);
        }
        catch (ProblemException problem) when (problem is { Status: < 500, Code: "code_invalid" })
        {
            return SignInPage.SignUpPending(app, request, Antiforgery(http), challengeId, SignupFlows.Code, expiresIn: null, handle, problem.Message);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            return SignInPage.SignUp(app, request, Antiforgery(http), handle, username: null, problem.ForPage());
        }
    }
}
