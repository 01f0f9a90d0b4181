using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>The second step of a sign-in that answered mfa_required (S3).</summary>
public static class MfaLoginEndpoints
{
    public static RouteGroupBuilder MapMfaLoginEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/login/mfa", CompleteAsync)
            .WithSummary("Finish a sign-in that answered mfa_required with a second factor")
            .WithDescription("method is one of the methods mfa_required listed: totp (code), sms (code, after POST /login/mfa/sms), " +
                "recovery (code, spent once), passkey (assertion). A wrong factor answers code_invalid with attemptsLeft; " +
                "after the app's codeMaxAttempts, too_many_attempts. The mfaToken lives 5 minutes and completes once.");
        app.MapPost("/login/mfa/sms", SendSmsAsync)
            .WithSummary("Text a sign-in code to the user's second-factor phone")
            .WithDescription("202 once sent; the app's codeResendSeconds apply between two codes.");
        return app;
    }

    public sealed record CompleteRequest
    {
        [Required, MaxLength(64)] public string MfaToken { get; init; } = "";
        [Required, MaxLength(16)] public string Method { get; init; } = "";
        [MaxLength(64)] public string? Code { get; init; }
        public JsonElement? Assertion { get; init; }
        public Device? Device { get; init; }
    }

    public sealed record SmsRequest
    {
        [Required, MaxLength(64)] public string MfaToken { get; init; } = "";
    }

    public sealed record CodeSent(int ExpiresIn);

    internal static async Task<Ok<TokenResponse>> CompleteAsync(
        CurrentApp app, CompleteRequest request, MfaCompletion completion, SessionService sessions, CancellationToken ct)
    {
        var done = await completion.VerifyAsync(app.App, request.MfaToken, request.Method, request.Code, request.Assertion, ct);
        return TypedResults.Ok(await sessions.StartAsync(app.App, done.User, done.Key, UserProfiles.View(done.User, done.Key), request.Device ?? done.Device, ct));
    }

    internal static async Task<Accepted<CodeSent>> SendSmsAsync(
        CurrentApp app, SmsRequest request, MfaSignIns signIns, ChallengeService challenges, SmsFactor sms, LatchkeyDbContext db, CancellationToken ct)
    {
        var pending = await signIns.FindOpenAsync(app.App, request.MfaToken, ct);
        var payload = challenges.Payload(pending);
        if (payload.MfaMethods?.Contains(MfaMethods.Sms) != true)
        {
            throw Problems.InvalidField("mfaToken", "This sign-in cannot be finished by SMS.");
        }
        var user = await db.Users.FirstAsync(u => u.Id == pending.UserId, ct);
        var expiresIn = await sms.SendAsync(app.App, user, HandleInput.Language(payload.Device), ct);
        return TypedResults.Accepted((string?)null, new CodeSent(expiresIn));
    }
}
