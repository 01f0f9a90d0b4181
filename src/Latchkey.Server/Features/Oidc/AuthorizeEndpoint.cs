using System.Security.Claims;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Recovery;
using Latchkey.Server.Features.Login;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Passkeys;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The authorization endpoint once OpenIddict has accepted the request (client, redirect URI,
/// PKCE, response type): Latchkey decides who signs in. The browser session of the app signs in
/// at once unless the request asks again; otherwise the sign-in page takes the password or a code
/// sent by email or SMS (AuthorizeEndpoint.Codes.cs) and, for a user with one, the second factor,
/// and the code is issued to the client's redirect URI. The page also resets a forgotten password
/// (AuthorizeEndpoint.Recovery.cs) and signs new users up by the app's flow (AuthorizeEndpoint.SignUp.cs).
/// </summary>
public sealed partial class AuthorizeEndpoint(
    BrowserSessions browserSessions,
    IAntiforgery antiforgery,
    UserAccounts accounts,
    PasswordHasher hasher,
    UserKeyring keyring,
    VerificationFlows flows,
    CredentialThrottle throttle,
    MfaGate mfa,
    MfaSignIns mfaSignIns,
    MfaCompletion mfaCompletion,
    FirstFactorSeal firstFactors,
    ChallengeService challenges,
    PasswordRecovery recovery,
    PasswordPolicy policy,
    SendBudget budget,
    PasskeyService passkeys,
    LatchkeyDbContext db,
    TimeProvider clock)
{
    public static async Task<IResult> HandleAsync(CurrentApp app, HttpContext http, AuthorizeEndpoint endpoint, CancellationToken ct)
    {
        if (http.GetOpenIddictServerResponse() is { Error: { } error } refused)
        {
            return SignInPage.Refused(error, refused.ErrorDescription);
        }
        var request = http.GetOpenIddictServerRequest();
        if (request is null)
        {
            return SignInPage.Refused(Errors.InvalidRequest, "This is the sign-in page of an OpenID Connect provider; open it from an app.");
        }
        return await endpoint.AuthorizeAsync(app.App, http, request, ct);
    }

    private async Task<IResult> AuthorizeAsync(App app, HttpContext http, OpenIddictRequest request, CancellationToken ct)
    {
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : null;
        // Note: a second button's step comes after the form's hidden one (SignInPage.Steps).
        var step = form?[SignInPage.Fields.Step].LastOrDefault();
        if (form is not null && step is not null && SignInPage.Steps.All.Contains(step))
        {
            if (!await IsOwnFormAsync(http))
            {
                return await PasswordPageAsync(app, http, request, form[SignInPage.Fields.Handle], "This page had expired. Sign in again.", ct);
            }
            // Note: the page shows only the app's own ways in; a hand-made post of another step is answered the same.
            if (step is SignInPage.Steps.Recover or SignInPage.Steps.SendRecovery or SignInPage.Steps.RecoveryCode && !app.Settings.Allows(SignInMethods.Password))
            {
                return await PasswordPageAsync(app, http, request, handle: null, "This app signs in without passwords.", ct);
            }
            if (step is SignInPage.Steps.SignUp or SignInPage.Steps.CreateAccount && !app.Settings.SelfSignupAllowed)
            {
                return await PasswordPageAsync(app, http, request, handle: null, "This app does not let people sign up here.", ct);
            }
            return step switch
            {
                SignInPage.Steps.Password => await CheckPasswordAsync(app, http, request, form, ct),
                SignInPage.Steps.SecondFactor => await CheckSecondFactorAsync(app, http, request, form, ct),
                SignInPage.Steps.SendCode => await SendCodeAsync(app, http, request, form, ct),
                SignInPage.Steps.Code => await CheckCodeAsync(app, http, request, form, ct),
                SignInPage.Steps.Recover => SignInPage.Recover(app, request, Antiforgery(http), form[SignInPage.Fields.Handle], error: null),
                SignInPage.Steps.SendRecovery => await SendRecoveryAsync(app, http, request, form, ct),
                SignInPage.Steps.RecoveryCode => await ResetPasswordAsync(app, http, request, form, ct),
                SignInPage.Steps.SignUp => SignInPage.SignUp(app, request, Antiforgery(http), form[SignInPage.Fields.Handle], username: null, error: null),
                SignInPage.Steps.CreateAccount => await CreateAccountAsync(app, http, request, form, ct),
                SignInPage.Steps.SignUpCode => await CheckSignUpCodeAsync(app, http, request, form, ct),
                SignInPage.Steps.Passkey => await CheckPasskeyAsync(app, http, request, form, ct),
                _ => await PasswordPageAsync(app, http, request, form[SignInPage.Fields.Handle], error: null, ct),
            };
        }

        var signed = browserSessions.Read(http, app);
        var asksAgain = request.HasPromptValue(PromptValues.Login)
            || (request.MaxAge is { } maxAge && signed is not null && clock.GetUtcNow().ToUnixTimeSeconds() - signed.AuthTime > maxAge);
        if (signed is not null && !asksAgain)
        {
            var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == signed.UserId, ct);
            if (user is { Disabled: false })
            {
                return IssueCode(request, user, signed.AuthTime, signed.Amr);
            }
        }
        if (request.HasPromptValue(PromptValues.None))
        {
            return OidcProvider.Refuse(Errors.LoginRequired, "The user is not signed in here.");
        }
        return await PasswordPageAsync(app, http, request, request.LoginHint, error: null, ct);
    }

    private async Task<IResult> CheckPasswordAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        var handle = form[SignInPage.Fields.Handle].ToString();
        var password = form[SignInPage.Fields.Password].ToString();
        if (handle.Length is 0 or > EmailAddress.MaxLength || password.Length is 0 or > 4096)
        {
            return await PasswordPageAsync(app, http, request, handle, "Enter your email and password.", ct);
        }
        User user;
        try
        {
            (user, _) = await LoginEndpoints.CheckPasswordAsync(new CurrentApp(app), new LoginEndpoints.LoginRequest { Handle = handle, Password = password },
                accounts, hasher, keyring, flows, db, throttle, ct);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            return await PasswordPageAsync(app, http, request, handle, problem.Message, ct);
        }
        return await FirstFactorPassedAsync(app, http, request, user, AuthenticationMethodReferences.Password, ct);
    }

    /// <summary>After a password or a code: the second factor where the user has one and the app asks, else the code for the client.</summary>
    private async Task<IResult> FirstFactorPassedAsync(App app, HttpContext http, OpenIddictRequest request, User user, string amr, CancellationToken ct)
    {
        var enrolled = MfaRules.Asks(app.Settings) ? await mfa.EnrolledMethodsAsync(app, user, ct) : [];
        if (MfaRules.Asks(app.Settings) && MfaRules.HasFactor(enrolled))
        {
            var mfaToken = await mfaSignIns.StartAsync(app, user, enrolled, device: null, ct);
            return SignInPage.SecondFactor(app, request, Antiforgery(http), mfaToken, enrolled, firstFactors.Seal(mfaToken, amr), error: null);
        }
        return SignedIn(app, http, request, user, [amr]);
    }

    private async Task<IResult> CheckSecondFactorAsync(App app, HttpContext http, OpenIddictRequest request, IFormCollection form, CancellationToken ct)
    {
        var mfaToken = form[SignInPage.Fields.MfaToken].ToString();
        var method = form[SignInPage.Fields.Method].ToString();
        var code = form[SignInPage.Fields.Code].ToString();
        var seal = form[SignInPage.Fields.FirstFactor].ToString();
        var first = mfaToken.Length is 0 or > 64 ? null : firstFactors.Open(seal, mfaToken);
        if (first is null || method.Length is 0 or > 16 || code.Length > 64)
        {
            return await PasswordPageAsync(app, http, request, handle: null, "Sign in again.", ct);
        }
        try
        {
            var done = await mfaCompletion.VerifyAsync(app, mfaToken, method, code, assertion: null, ct);
            return SignedIn(app, http, request, done.User, [.. new[] { first, AuthenticationMethodReferences.OneTimePassword }.Distinct()]);
        }
        catch (ProblemException problem) when (problem is { Status: < 500, Code: "code_invalid" or "invalid_request" })
        {
            var offered = form[SignInPage.Fields.Methods].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).Take(4).ToList();
            return SignInPage.SecondFactor(app, request, Antiforgery(http), mfaToken, offered, seal, problem.Message);
        }
        catch (ProblemException problem) when (problem.Status < 500)
        {
            // Too many tries, an expired sign-in: the second factor is asked for again only after the password.
            return await PasswordPageAsync(app, http, request, handle: null, problem.Message, ct);
        }
    }

    private IResult SignedIn(App app, HttpContext http, OpenIddictRequest request, User user, string[] amr)
    {
        var signed = browserSessions.Write(http, app, user.Id, amr);
        return IssueCode(request, user, signed.AuthTime, amr);
    }

    /// <summary>The code: who, when and how they signed in, the granted scopes, and the id its single use is kept under.</summary>
    private static IResult IssueCode(OpenIddictRequest request, User user, long authTime, string[] amr)
    {
        var identity = new ClaimsIdentity(OidcProvider.Scheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id.ToString());
        identity.SetClaim(Claims.AuthenticationTime, authTime);
        identity.SetClaims(Claims.AuthenticationMethodReference, [.. amr]);
        identity.SetClaim(OidcClaims.CodeId, Guid.NewGuid().ToString("N"));
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(request.GetScopes());
        return Results.SignIn(principal, authenticationScheme: OidcProvider.Scheme);
    }

    private async Task<bool> IsOwnFormAsync(HttpContext http)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(http);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    /// <summary>The first page, with the app's own words for it in the browser's language (<see cref="SignInText"/>).</summary>
    private async Task<IResult> PasswordPageAsync(App app, HttpContext http, OpenIddictRequest request, string? handle, string? error, CancellationToken ct,
        string? notice = null) =>
        SignInPage.Password(app, request, Antiforgery(http), await SignInText.FindAsync(db, app, SignInText.LanguageOf(http, request), ct), handle, error, notice);

    private string Antiforgery(HttpContext http) => antiforgery.GetAndStoreTokens(http).RequestToken!;
}
