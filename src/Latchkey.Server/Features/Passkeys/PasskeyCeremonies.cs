using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// A WebAuthn ceremony in progress: a <see cref="Challenge"/> row (purpose passkey-reg or
/// passkey-login) that sends nothing, holds the WebAuthn challenge sealed in its payload, lives
/// <see cref="Lifetime"/> and is used once: the first response that names it consumes it, by a
/// conditional update, whether or not that response then holds. So a challenge never signs twice,
/// on any node.
/// </summary>
public sealed class PasskeyCeremonies(LatchkeyDbContext db, ChallengeService challenges, ServerKeys keys, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private const string NoChannel = "none";
    private const string Flow = "passkey";

    public sealed record Started(Guid Id, string Challenge);

    /// <summary>
    /// Stores a ceremony for <paramref name="userId"/> (null: whoever the passkey turns out to be).
    /// <paramref name="scope"/> names what it belongs to (a user, an mfaToken) so it can be found by its challenge.
    /// </summary>
    public async Task<Started> StartAsync(App app, string purpose, Guid? userId, string scope, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var challenge = Secrets.NewToken();
        var row = new Challenge
        {
            Id = Guid.NewGuid(),
            AppId = app.Id,
            Purpose = purpose,
            Channel = NoChannel,
            Flow = Flow,
            TargetIndex = ScopeIndex(app, scope),
            // Note: the challenge's hash finds the ceremony when the response is all a caller has
            // (POST /login/mfa carries the assertion, not our ceremony id).
            CodeHash = Secrets.Hash(challenge),
            UserId = userId,
            MaxAttempts = 1,
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        };
        challenges.AddSilent(row, new ChallengePayload { WebAuthnChallenge = challenge });
        await db.SaveChangesAsync(ct);
        return new Started(row.Id, challenge);
    }

    /// <summary>Consumes a ceremony of <paramref name="scope"/> by id; answers its WebAuthn challenge and user, or refuses with the ceremony check.</summary>
    public async Task<(string Challenge, Guid? UserId)> ConsumeAsync(App app, Guid? id, string purpose, string scope, CancellationToken ct)
    {
        var index = ScopeIndex(app, scope);
        var row = id is null ? null : await db.Challenges.AsNoTracking()
            .FirstOrDefaultAsync(c => c.Id == id && c.AppId == app.Id && c.TargetIndex == index && c.Purpose == purpose && c.Flow == Flow, ct);
        return await ConsumeAsync(row, ct);
    }

    /// <summary>Consumes the ceremony of <paramref name="scope"/> that issued <paramref name="challenge"/>.</summary>
    public async Task<(string Challenge, Guid? UserId)> ConsumeByChallengeAsync(App app, string purpose, string scope, string challenge, CancellationToken ct)
    {
        var index = ScopeIndex(app, scope);
        var hash = Secrets.Hash(challenge);
        var row = await db.Challenges.AsNoTracking()
            .FirstOrDefaultAsync(c => c.AppId == app.Id && c.TargetIndex == index && c.Purpose == purpose && c.Flow == Flow && c.CodeHash == hash, ct);
        return await ConsumeAsync(row, ct);
    }

    private async Task<(string Challenge, Guid? UserId)> ConsumeAsync(Challenge? row, CancellationToken ct)
    {
        if (row is null)
        {
            throw new PasskeyCheckException(PasskeyChecks.Ceremony, "There is no such passkey ceremony in this app: ask for new options.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var consumed = await db.Challenges
            .Where(c => c.Id == row.Id && c.CompletedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.CompletedAt, now).SetProperty(x => x.Attempts, x => x.Attempts + 1), ct);
        if (consumed == 0)
        {
            throw new PasskeyCheckException(PasskeyChecks.Ceremony, row.CompletedAt is not null || now < row.ExpiresAt
                ? "This passkey ceremony was already used: ask for new options."
                : "This passkey ceremony has expired: ask for new options.");
        }
        var challenge = challenges.Payload(row).WebAuthnChallenge
            ?? throw new InvalidOperationException($"Passkey ceremony {row.Id} has no WebAuthn challenge.");
        return (challenge, row.UserId);
    }

    public static string UserScope(Guid userId) => "user:" + userId.ToString("N");
    public static string MfaScope(Guid mfaChallengeId) => "mfa:" + mfaChallengeId.ToString("N");
    public const string LoginScope = "login";

    private byte[] ScopeIndex(App app, string scope) => keys.Blind(app.Id, "passkey-ceremony", scope);
}
