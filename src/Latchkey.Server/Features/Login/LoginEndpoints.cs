using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Login;

public static class LoginEndpoints
{
    public static RouteGroupBuilder MapLoginEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/login", LoginAsync)
            .WithSummary("Sign in with a handle (email, phone or user name) and password")
            .WithDescription("An unknown handle and a wrong password answer alike, in the same time: invalid_credentials.");
        return app;
    }

    public sealed record LoginRequest
    {
        [Required, MaxLength(EmailAddress.MaxLength)] public string Handle { get; init; } = "";
        // Note: an unknown handle and a wrong password answer alike, in the same time.
        [Required, MaxLength(4096)] public string Password { get; init; } = "";
        public Device? Device { get; init; }
        public JsonObject? Parameters { get; init; }
    }

    internal static async Task<Ok<TokenResponse>> LoginAsync(
        CurrentApp app,
        LoginRequest request,
        UserAccounts accounts,
        PasswordHasher hasher,
        UserKeyring keyring,
        MfaGate mfa,
        VerificationFlows flows,
        LatchkeyDbContext db,
        CredentialThrottle throttle,
        CancellationToken ct)
    {
        var (user, key) = await CheckPasswordAsync(app, request, accounts, hasher, keyring, flows, db, throttle, ct);
        return TypedResults.Ok(await mfa.StartSessionAsync(app.App, user, key, request.Device, ct));
    }

    /// <summary>
    /// The first factor of a password sign-in, shared by this endpoint and the web console: throttle
    /// and lockout, the password (or a decoy hash), a disabled user, an unverified user of a
    /// registered app. Answers the user, ready for <see cref="MfaGate.StartSessionAsync"/>.
    /// </summary>
    internal static async Task<(User User, UserKey Key)> CheckPasswordAsync(
        CurrentApp app,
        LoginRequest request,
        UserAccounts accounts,
        PasswordHasher hasher,
        UserKeyring keyring,
        VerificationFlows flows,
        LatchkeyDbContext db,
        CredentialThrottle throttle,
        CancellationToken ct)
    {
        // Note: admitted to the hashing queue before any database work, so that an overloaded node
        // answers 429 at once instead of after the queries.
        using var admission = hasher.Admit(HashLane.SignIn);
        var region = request.Device?.Language?.Region;
        // S5: the attempt is counted before any hashing (a locked handle is refused), alike for known and unknown accounts.
        var attempt = await throttle.EnsureAllowedAsync(app.Id, CredentialKinds.Password, ThrottledHandle(request.Handle, region), ct);
        var user = await accounts.FindByHandleAsync(app.App, request.Handle, region, ct);
        PasswordCheck check;
        try
        {
            // Note: an unknown user is checked against a decoy hash, so timing does not tell.
            check = await hasher.VerifyAsync(user?.PasswordHash, request.Password, ct);
        }
        catch (ProblemException)
        {
            // The hashing queue was full (429): no guess was checked, so the attempt is given back.
            await throttle.GiveBackAsync(attempt, CancellationToken.None);
            throw;
        }
        if (user is null || check == PasswordCheck.Wrong)
        {
            await throttle.RecordFailedSignInAsync(attempt, user?.Id, "password", ct);
            throw Problems.InvalidCredentials();
        }
        await throttle.RecordSuccessAsync(attempt, ct);
        if (user.Disabled)
        {
            throw Problems.UserDisabled();
        }
        if (check == PasswordCheck.ValidNeedsRehash)
        {
            user.PasswordHash = await hasher.HashAsync(request.Password, HashLane.SignIn, ct);
            await db.SaveChangesAsync(ct);
        }

        var key = await keyring.GetAsync(user.Id, ct);
        if (app.Settings.AccessMode == AccessModes.Registered && !user.EmailVerified && !user.PhoneVerified)
        {
            throw await flows.VerificationRequiredAsync(app.App, user, key, HandleInput.Language(request.Device), ct);
        }
        return (user, key);
    }

    /// <summary>The handle as the account lookup reads it, so every spelling of one handle shares a counter.</summary>
    private static string ThrottledHandle(string handle, string? region)
    {
        if (handle.Contains('@'))
        {
            return EmailAddress.TryNormalise(handle, out var email) ? email : handle.Trim().ToLowerInvariant();
        }
        if (Phones.LooksLikePhone(handle) && Phones.TryNormalise(handle, region, out var phone))
        {
            return phone;
        }
        return UserNames.TryNormalise(handle, out _, out var folded, out _) ? folded : handle.Trim().ToLowerInvariant();
    }
}
