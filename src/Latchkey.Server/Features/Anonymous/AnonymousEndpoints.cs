using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Challenges;
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
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Anonymous;

/// <summary>
/// Anonymous sign-in (MISSION A4): a guest user with handle ANON_&lt;UUID&gt;, who may later
/// upgrade in place to a full user, keeping its id, sessions and data.
/// </summary>
public static class AnonymousEndpoints
{
    public static RouteGroupBuilder MapAnonymousEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/anonymous", SignInAsync).WithSummary("Sign in as a new anonymous user (open apps with anonymousEnabled)");
        return app;
    }

    public static RouteGroupBuilder MapUpgradeEndpoints(this RouteGroupBuilder signedIn)
    {
        signedIn.MapPost("/me/upgrade", UpgradeAsync)
            .WithSummary("Turn the anonymous caller into a full user, keeping its id")
            .WithDescription("With the none flow (or a user name only) the answer is tokens at once; otherwise 202 and a code or " +
                "link to the email or phone, completed through /signup/verify or /signup/{id}.");
        return signedIn;
    }

    public sealed record AnonymousRequest
    {
        public Device? Device { get; init; }
    }

    public sealed record UpgradeRequest
    {
        [MaxLength(EmailAddress.MaxLength)] public string? Email { get; init; }
        [MaxLength(Phones.MaxLength)] public string? Phone { get; init; }
        [MaxLength(4096)] public string? Password { get; init; }
        [MaxLength(200)] public string? Username { get; init; }
        public Device? Device { get; init; }
    }

    internal static async Task<Ok<TokenResponse>> SignInAsync(CurrentApp app, AnonymousRequest? request, UserAccounts accounts, SessionService sessions, CancellationToken ct)
    {
        var settings = app.Settings;
        if (settings.AccessMode == AccessModes.InviteOnly)
        {
            throw Problems.InvitationRequired();
        }
        if (!settings.SignupEnabled)
        {
            throw Problems.SignupDisabled();
        }
        if (!settings.AnonymousEnabled || settings.AccessMode != AccessModes.Open)
        {
            throw Problems.Forbidden("Anonymous sign-in is off in this app.");
        }
        var created = await accounts.CreateAsync(app.App, new NewUser { Anonymous = true }, ct);
        return TypedResults.Ok(await sessions.StartAsync(app.App, created.User, created.Key, created.View, request?.Device, ct));
    }

    internal static async Task<Results<Ok<TokenResponse>, Accepted<VerificationStarted>>> UpgradeAsync(
        CurrentApp app, Caller caller, UpgradeRequest request, LatchkeyDbContext db, UserKeyring keyring, UserAccounts accounts,
        PasswordHasher hasher, PasswordPolicy policy, VerificationFlows flows, SendBudget budget, CancellationToken ct)
    {
        var user = await db.Users.FirstAsync(u => u.Id == caller.UserId, ct);
        if (!user.Anonymous)
        {
            throw VerificationFlows.NotAnonymous();
        }
        var handle = HandleInput.Parse(request.Email, request.Phone, request.Device, required: request.Username is null);
        var details = handle is { } h
            ? NewAccountInput.Check(app.App, h, request.Username, request.Password, null, policy)
            : NewAccountInput.CheckUsername(app.App, request.Username);
        if (handle is null && request.Password is { Length: > 0 } bare)
        {
            policy.Check(bare, null);
        }
        var email = handle is { IsEmail: true } e ? e.Value : null;
        var phone = handle is { IsEmail: false } p ? p.Value : null;
        await accounts.EnsureAvailableAsync(app.App, email, phone, details.FoldedUsername, user.Id, ct);
        // An upgrade is a sign-up: its budgets are spent before anything is hashed or sent.
        var sendTo = app.Settings.SignupFlow != SignupFlows.None ? handle : null;
        await budget.EnsureSignUpAllowedAsync(app.Id, sendTo, ct);
        var payload = new ChallengePayload
        {
            Email = email,
            Phone = phone,
            Username = details.Username,
            PasswordHash = request.Password is { Length: > 0 } password ? await hasher.HashAsync(password, ct) : null,
            Device = request.Device,
        };

        if (handle is { } toVerify && app.Settings.SignupFlow != SignupFlows.None)
        {
            var started = await flows.StartAsync(app.App, ChallengePurposes.Upgrade, toVerify, user.Id, payload, HandleInput.Language(request.Device), ct,
                sendBudgetSpent: true);
            return TypedResults.Accepted($"/v1/apps/{app.Id}/signup/{started.VerificationId}", started);
        }
        var key = await keyring.GetAsync(user.Id, ct);
        flows.Upgrade(user, key, payload, verified: false);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            await accounts.EnsureAvailableAsync(app.App, email, phone, details.FoldedUsername, user.Id, CancellationToken.None);
            throw;
        }
        return TypedResults.Ok(await flows.TokensAsync(app.App, user, key, request.Device, ct));
    }
}
