using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.SignUp;

/// <summary>Self sign-up (MISSION A1–A3, A5, A7) and its verification by code.</summary>
public static class SignUpEndpoints
{
    public static RouteGroupBuilder MapSignUpEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/signup", SignUpAsync)
            .WithSummary("Sign a new user up with an email or phone, and a password where the app asks for one")
            .WithDescription("open: tokens at once (with a verification when the flow is code or link). registered: 202 and a code or " +
                "link; tokens come from /signup/verify or from waiting on /signup/{id}. inviteOnly: invitation_required.");
        app.MapPost("/signup/verify", VerifyAsync)
            .WithSummary("Complete a sign-up, an email verification or an upgrade with the code that was sent");
        app.MapSignUpLinkEndpoints();
        return app;
    }

    public sealed record SignUpRequest
    {
        [MaxLength(EmailAddress.MaxLength)] public string? Email { get; init; }
        [MaxLength(Phones.MaxLength)] public string? Phone { get; init; }
        [MaxLength(4096)] public string? Password { get; init; }
        [MaxLength(200)] public string? Username { get; init; }
        public JsonObject? Metadata { get; init; }
        public Device? Device { get; init; }
        public JsonObject? Parameters { get; init; }
    }

    public sealed record VerifyRequest
    {
        [Required] public Guid? VerificationId { get; init; }
        [Required, MaxLength(16)] public string Code { get; init; } = "";
        public Device? Device { get; init; }
    }

    internal static async Task<Results<Ok<TokenResponse>, Accepted<VerificationStarted>>> SignUpAsync(
        CurrentApp app, SignUpRequest request, UserAccounts accounts, PasswordHasher hasher, PasswordPolicy policy,
        VerificationFlows flows, MfaGate mfa, SendBudget budget, CancellationToken ct)
    {
        var started = await StartAsync(app.App, request, accounts, hasher, policy, flows, budget, ct);
        if (started.Pending is { } pending)
        {
            return TypedResults.Accepted($"/v1/apps/{app.Id}/signup/{pending.VerificationId}", pending);
        }
        var (created, handle) = (started.Created!, started.Handle);
        var tokens = await mfa.StartSessionAsync(app.App, created.User, created.Key, request.Device, ct);
        if (app.Settings.SignupFlow == SignupFlows.None)
        {
            return TypedResults.Ok(tokens);
        }
        var verification = await flows.StartAsync(app.App, ChallengePurposes.Verify, handle, created.User.Id, null, HandleInput.Language(request.Device), ct,
            sendBudgetSpent: true);
        return TypedResults.Ok(tokens with { Verification = verification });
    }

    /// <summary>
    /// What a sign-up started: in an open app the user (a session and, where the flow says so, the
    /// verification follow), in a registered one the pending verification that will create them.
    /// </summary>
    public sealed record Started(Handle Handle, UserAccounts.Created? Created, VerificationStarted? Pending);

    /// <summary>
    /// Checks a sign-up (every bad field at once), admits it to the hashing queue, spends the address's
    /// budgets and either creates the user (open) or sends the code or link that will (registered).
    /// The JSON API and the provider's sign-in page (X1) both start here.
    /// </summary>
    public static async Task<Started> StartAsync(App app, SignUpRequest request, UserAccounts accounts, PasswordHasher hasher, PasswordPolicy policy,
        VerificationFlows flows, SendBudget budget, CancellationToken ct)
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
        // Every bad field at once, so that a form can show them all.
        var fields = new FieldErrors();
        var parsed = fields.Check(() => HandleInput.Parse(request.Email, request.Phone, request.Device, required: true));
        var details = NewAccountInput.Check(app, parsed, request.Username, request.Password, request.Metadata, policy, fields);
        fields.Check(() => JsonLimits.EnsureSmallObject(request.Parameters, "parameters"));
        fields.ThrowIfAny();
        var handle = parsed!.Value;
        // Note: admitted to the hashing queue before any database work (429 at once when overloaded).
        using var admission = request.Password is { Length: > 0 } ? hasher.Admit(HashLane.SignUp) : null;
        // Before anything is hashed or sent: the address's sign-ups, and the budgets of the code or link that will follow.
        var sends = settings.AccessMode == AccessModes.Registered || settings.SignupFlow != SignupFlows.None;
        await budget.EnsureSignUpAllowedAsync(app.Id, sends ? handle : null, ct);
        await accounts.EnsureAvailableAsync(app, handle.IsEmail ? handle.Value : null, handle.IsEmail ? null : handle.Value, details.FoldedUsername, null, ct);
        var passwordHash = request.Password is { Length: > 0 } password ? await hasher.HashAsync(password, ct) : null;
        var language = HandleInput.Language(request.Device);

        if (settings.AccessMode == AccessModes.Registered)
        {
            var pending = await flows.StartAsync(app, ChallengePurposes.Signup, handle, null, new ChallengePayload
            {
                Username = details.Username,
                PasswordHash = passwordHash,
                Metadata = request.Metadata,
                Device = request.Device,
            }, language, ct, sendBudgetSpent: true);
            return new Started(handle, null, pending);
        }

        // Open: a session at once; the email or phone is verified afterwards where the flow says so.
        var created = await accounts.CreateAsync(app, new NewUser
        {
            Email = handle.IsEmail ? handle.Value : null,
            Phone = handle.IsEmail ? null : handle.Value,
            Username = details.Username,
            PasswordHash = passwordHash,
            Metadata = request.Metadata,
        }, ct);
        return new Started(handle, created, null);
    }

    internal static async Task<Ok<TokenResponse>> VerifyAsync(
        CurrentApp app, VerifyRequest request, ChallengeService challenges, VerificationFlows flows, MfaGate mfa, CancellationToken ct)
    {
        var challenge = await challenges.VerifyCodeAsync(app.App, request.VerificationId!.Value, request.Code, VerificationFlows.SignupPurposes, ct);
        var (user, key) = await flows.CompleteAsync(app.App, challenge, ct);
        // Note: proving an email or phone signs an existing user in: their second factor still applies.
        return TypedResults.Ok(await mfa.StartSessionAsync(app.App, user, key, challenges.Payload(challenge).Device ?? request.Device, ct));
    }
}
