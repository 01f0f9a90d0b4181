using System.Security.Claims;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.IpRanges;
using Latchkey.Server.Features.Login;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// Console sign-in through an app (the console app for super admins, an app's own id for its
/// admins) by the JSON API's own rules: the password check with its throttle and lockout
/// (<see cref="LoginEndpoints.CheckPasswordAsync"/>), the second factor (<see cref="MfaGate"/>,
/// <see cref="MfaLoginEndpoints"/>), and a real session that the user's session list shows and
/// that can be revoked. Only callers <see cref="AdminAccess"/> accepts get in.
/// </summary>
public sealed class ConsoleSignIn(
    LatchkeyDbContext db, IServiceProvider services, AdminAccess access, AccessTokenValidator validator,
    IDataProtectionProvider protection, IHttpContextAccessor http, TimeProvider clock)
{
    /// <summary>What the user's session list shows for a console sign-in.</summary>
    public static readonly Device ConsoleDevice = new() { Name = "Latchkey console", Platform = "web" };

    /// <summary>The second factors a form without script can take (a passkey needs the browser's WebAuthn API).</summary>
    public static readonly string[] FormMethods = [MfaMethods.Totp, MfaMethods.Sms, MfaMethods.Recovery];

    public abstract record Outcome;

    public sealed record SignedIn(ClaimsPrincipal Principal) : Outcome;

    /// <summary>The password held; a second factor is due. <paramref name="Ticket"/> carries the mfaToken, sealed for the browser.</summary>
    public sealed record SecondFactorNeeded(string Ticket, IReadOnlyList<string> Methods) : Outcome;

    public async Task<Outcome> PasswordAsync(string appId, string handle, string password, CancellationToken ct)
    {
        var app = await AppAsync(appId, ct);
        var request = new LoginEndpoints.LoginRequest { Handle = handle, Password = password, Device = ConsoleDevice };
        var (user, key) = await LoginEndpoints.CheckPasswordAsync(app, request, S<UserAccounts>(), S<PasswordHasher>(), S<UserKeyring>(),
            S<VerificationFlows>(), db, S<CredentialThrottle>(), ct);
        // Note: after the password, so the answer tells nobody without it whether an account is an admin.
        await EnsureAdminAsync(app.Id, user, ct);
        try
        {
            var tokens = await S<MfaGate>().StartSessionAsync(app.App, user, key, ConsoleDevice, ct);
            return await SignedInAsync(app.Id, tokens, ct);
        }
        catch (ProblemException required) when (required.Code == "mfa_required"
            && required.Extensions["mfaToken"] is string mfaToken && required.Extensions["methods"] is IReadOnlyList<string> methods)
        {
            return new SecondFactorNeeded(Protector.Protect(app.Id + "\n" + mfaToken), methods.Where(FormMethods.Contains).ToList());
        }
    }

    public async Task<Outcome> SecondFactorAsync(string ticket, string method, string? code, CancellationToken ct)
    {
        var (appId, mfaToken) = Open(ticket);
        var app = await AppAsync(appId, ct);
        var request = new MfaLoginEndpoints.CompleteRequest { MfaToken = mfaToken, Method = method, Code = code, Device = ConsoleDevice };
        var answer = await MfaLoginEndpoints.CompleteAsync(app, request, S<MfaCompletion>(), S<SessionService>(), ct);
        var tokens = answer.Value!;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == tokens.User.Id, ct);
        try
        {
            // The role may have changed while the second factor was pending.
            await EnsureAdminAsync(app.Id, user, ct);
        }
        catch (ProblemException)
        {
            await S<SessionService>().RevokeAsync(await SessionIdAsync(tokens, ct), RevokeReasons.Admin, CancellationToken.None);
            throw;
        }
        return await SignedInAsync(app.Id, tokens, ct);
    }

    /// <summary>Texts a sign-in code to the user's second-factor phone; answers how long it lives.</summary>
    public async Task<int> SendSmsAsync(string ticket, CancellationToken ct)
    {
        var (appId, mfaToken) = Open(ticket);
        var app = await AppAsync(appId, ct);
        var sent = await MfaLoginEndpoints.SendSmsAsync(app, new MfaLoginEndpoints.SmsRequest { MfaToken = mfaToken },
            S<MfaSignIns>(), S<ChallengeService>(), S<SmsFactor>(), db, ct);
        return sent.Value!.ExpiresIn;
    }

    private async Task<CurrentApp> AppAsync(string appId, CancellationToken ct)
    {
        appId = appId.Trim().ToLowerInvariant();
        var app = AppIds.IsValid(appId) ? await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct) : null;
        if (app is null)
        {
            throw Problems.InvalidField("app", $"There is no app '{appId}'.");
        }
        // The sign-in app's IP ranges hold here as on its JSON sign-in (S2).
        if (http.HttpContext is { } context && !IpRangeList.For(app.Settings.IpRanges).Allows(ClientAddress.Of(context)))
        {
            throw Problems.IpNotAllowed();
        }
        db.TenantAppId = app.Id;
        return new CurrentApp(app);
    }

    private async Task EnsureAdminAsync(string appId, User user, CancellationToken ct)
    {
        try
        {
            await access.ResolveAsync(new Caller(user.Id, Guid.Empty, appId, user.Role), ct);
        }
        catch (ProblemException refused) when (refused.Status == StatusCodes.Status403Forbidden)
        {
            throw Problems.Forbidden("This account cannot use the console: it is not an admin of this app. " +
                "Super admins sign in through the app 'console'; app admins through their own app.");
        }
    }

    private async Task<SignedIn> SignedInAsync(string appId, TokenResponse tokens, CancellationToken ct)
    {
        var sessionId = await SessionIdAsync(tokens, ct);
        // Note: nobody holds this session's refresh token (the console keeps only its cookie), so
        // the session ends with the cookie: it leaves the user's session list after 12 hours.
        var until = clock.GetUtcNow().UtcDateTime + ConsoleAuthentication.Lifetime;
        await db.RefreshTokens.IgnoreQueryFilters()
            .Where(t => t.SessionId == sessionId && t.ExpiresAt > until)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.ExpiresAt, until), ct);
        await db.Sessions.IgnoreQueryFilters()
            .Where(s => s.Id == sessionId && s.ExpiresAt > until)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, until), ct);
        return new(ConsoleAuthentication.Principal(tokens.User.Id, sessionId, appId, tokens.User.Role, tokens.User.Plan));
    }

    /// <summary>The session the new tokens belong to, read from the access token the session service just signed.</summary>
    private async Task<Guid> SessionIdAsync(TokenResponse tokens, CancellationToken ct)
    {
        var check = await validator.CheckAsync(tokens.AccessToken, ct);
        return check.Token?.SessionId ?? throw new InvalidOperationException("A fresh access token did not validate: " + check.Failure);
    }

    private IDataProtector Protector => protection.CreateProtector("Latchkey.Console.SecondFactor");

    private (string AppId, string MfaToken) Open(string ticket)
    {
        try
        {
            var parts = Protector.Unprotect(ticket).Split('\n', 2);
            return (parts[0], parts[1]);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException or IndexOutOfRangeException)
        {
            throw Problems.CodeInvalid("This sign-in cannot be finished any more; sign in again.");
        }
    }

    private T S<T>() where T : notnull => services.GetRequiredService<T>();
}
