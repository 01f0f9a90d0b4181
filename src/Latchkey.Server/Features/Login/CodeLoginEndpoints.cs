using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Login;

/// <summary>
/// Passwordless sign-in with a code sent by email or SMS (MISSION B2, B3). Known and unknown
/// handles answer alike; an unknown one becomes a new user when the app lets people sign up.
/// </summary>
public static class CodeLoginEndpoints
{
    public static RouteGroupBuilder MapCodeLoginEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/login/code", SendAsync)
            .WithSummary("Send a 6-digit sign-in code to an email or phone")
            .WithDescription("Always 202 with a challenge id, whether the handle is known or not.");
        app.MapPost("/login/code/verify", VerifyAsync).WithSummary("Sign in with the code");
        return app;
    }

    public sealed record SendRequest
    {
        [MaxLength(EmailAddress.MaxLength)] public string? Email { get; init; }
        [MaxLength(Phones.MaxLength)] public string? Phone { get; init; }
        public Device? Device { get; init; }
    }

    public sealed record VerifyRequest
    {
        [Required] public Guid? ChallengeId { get; init; }
        [Required, MaxLength(16)] public string Code { get; init; } = "";
        public Device? Device { get; init; }
    }

    public sealed record CodeSent(Guid ChallengeId, int ExpiresIn);

    internal static async Task<Accepted<CodeSent>> SendAsync(
        CurrentApp app, SendRequest request, UserAccounts accounts, ChallengeService challenges, CancellationToken ct)
    {
        var handle = HandleInput.Parse(request.Email, request.Phone, request.Device, required: true)!.Value;
        var started = await StartAsync(app.App, handle, request.Device, language: null, accounts, challenges, ct);
        return TypedResults.Accepted((string?)null, started);
    }

    /// <summary>
    /// Sends a code to <paramref name="handle"/>: a sign-in for a known user, a sign-up for an unknown
    /// one where the app lets people sign up, a decoy otherwise (the answer is the same). The JSON API
    /// and the provider's sign-in page (X1) both start here; <paramref name="language"/> is the page's, where no device names one.
    /// </summary>
    public static async Task<CodeSent> StartAsync(App app, Handle handle, Device? device, string? language, UserAccounts accounts,
        ChallengeService challenges, CancellationToken ct)
    {
        var method = handle.IsEmail ? SignInMethods.EmailCode : SignInMethods.SmsCode;
        if (!app.Settings.Allows(method))
        {
            throw Problems.InvalidField(handle.IsEmail ? "email" : "phone", $"This app does not sign in with {(handle.IsEmail ? "email" : "SMS")} codes.");
        }
        var user = handle.IsEmail
            ? await accounts.FindByEmailAsync(app, handle.Value, ct)
            : await accounts.FindByPhoneAsync(app, handle.Value, ct);
        var (purpose, decoy) = user is not null
            ? (ChallengePurposes.Login, user.Disabled)
            : (ChallengePurposes.Signup, !app.Settings.SelfSignupAllowed);
        var started = await challenges.StartAsync(app, new ChallengeRequest
        {
            // Note: a decoy is stored as a sign-in, so the throttle treats it like a real one.
            Purpose = decoy ? ChallengePurposes.Login : purpose,
            Channel = handle.Channel,
            Target = handle.Value,
            Flow = SignupFlows.Code,
            MessageKind = MessageKinds.LoginCode,
            UserId = user?.Id,
            Payload = new ChallengePayload { Device = device },
            Decoy = decoy,
            Language = HandleInput.Language(device) ?? language,
        }, ct);
        return new CodeSent(started.Challenge.Id, started.ExpiresIn);
    }

    internal static async Task<Ok<TokenResponse>> VerifyAsync(
        CurrentApp app, VerifyRequest request, ChallengeService challenges, VerificationFlows flows, MfaGate mfa, CancellationToken ct)
    {
        var (user, key, challenge) = await CompleteAsync(app.App, request.ChallengeId!.Value, request.Code, challenges, flows, ct);
        return TypedResults.Ok(await mfa.StartSessionAsync(app.App, user, key, request.Device ?? challenges.Payload(challenge).Device, ct));
    }

    /// <summary>The user a right code signs in (created now where the code was a sign-up's), with the spent challenge.</summary>
    public static async Task<(User User, UserKey Key, Challenge Challenge)> CompleteAsync(App app, Guid challengeId, string? code,
        ChallengeService challenges, VerificationFlows flows, CancellationToken ct)
    {
        var challenge = await challenges.VerifyCodeAsync(app, challengeId, code, [ChallengePurposes.Login, ChallengePurposes.Signup], ct);
        var (user, key) = await flows.CompleteAsync(app, challenge, ct);
        return (user, key, challenge);
    }
}
