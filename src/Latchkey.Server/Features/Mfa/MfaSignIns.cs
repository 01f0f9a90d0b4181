using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// Sign-ins that proved their first factor and wait for the second: a <see cref="Challenge"/>
/// with purpose <c>mfa</c>, found by the mfaToken. It lives 5 minutes, takes the app's
/// codeMaxAttempts tries, and completes once; each of those is a conditional update, so any node
/// may serve any step.
/// </summary>
/// <remarks>
/// Note: the mfaToken is a 256-bit random secret of which only the SHA-256 is stored (in the
/// column by which links find their challenge, too): a copy of the database does not let anyone
/// skip the password of a pending sign-in.
/// </remarks>
public sealed class MfaSignIns(LatchkeyDbContext db, ChallengeService challenges, ServerKeys keys, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    /// <summary>What <see cref="Challenge.Flow"/> and <see cref="Challenge.Channel"/> say for these rows: nothing is sent for them.</summary>
    private const string Flow = "factor";
    private const string NoChannel = "none";

    /// <summary>Stores the pending sign-in; answers the mfaToken (the only time it exists in clear).</summary>
    public async Task<string> StartAsync(App app, User user, IReadOnlyList<string> methods, Device? device, CancellationToken ct)
    {
        var token = Secrets.NewToken();
        var now = clock.GetUtcNow().UtcDateTime;
        challenges.AddSilent(new Challenge
        {
            Id = Guid.NewGuid(),
            AppId = app.Id,
            Purpose = ChallengePurposes.Mfa,
            Channel = NoChannel,
            Flow = Flow,
            TargetIndex = keys.Blind(app.Id, "mfa-user", user.Id.ToString()),
            LinkTokenHash = Secrets.Hash(token),
            UserId = user.Id,
            MaxAttempts = app.Settings.CodeMaxAttempts,
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        }, new ChallengePayload { Device = device, MfaMethods = methods });
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>The open pending sign-in of this app with this mfaToken; code_invalid or code_expired otherwise.</summary>
    public async Task<Challenge> FindOpenAsync(App app, string? mfaToken, CancellationToken ct)
    {
        Challenge? pending = null;
        if (mfaToken is not null && Secrets.TryDecode(mfaToken, 32, out _))
        {
            var hash = Secrets.Hash(mfaToken);
            pending = await db.Challenges.AsNoTracking()
                .FirstOrDefaultAsync(c => c.AppId == app.Id && c.LinkTokenHash == hash && c.Purpose == ChallengePurposes.Mfa && c.Flow == Flow, ct);
        }
        if (pending?.UserId is null)
        {
            throw Problems.CodeInvalid("This sign-in cannot be finished here; sign in again.");
        }
        if (pending.CompletedAt is not null)
        {
            throw Problems.CodeInvalid("This sign-in was already finished; sign in again.");
        }
        if (clock.GetUtcNow().UtcDateTime >= pending.ExpiresAt)
        {
            throw Problems.CodeExpired("This sign-in took too long to finish; sign in again.");
        }
        return pending;
    }

    /// <summary>
    /// Counts one try before the factor is checked (so parallel guesses share the limit), or
    /// throws too_many_attempts when none is left.
    /// </summary>
    public async Task CountAttemptAsync(Challenge pending, CancellationToken ct)
    {
        var counted = await db.Challenges
            .Where(c => c.Id == pending.Id && c.Attempts < c.MaxAttempts && c.CompletedAt == null)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.Attempts, x => x.Attempts + 1), ct);
        if (counted == 0)
        {
            throw TooMany(pending);
        }
    }

    public Task<int> AttemptsLeftAsync(Challenge pending, CancellationToken ct) =>
        db.Challenges.Where(c => c.Id == pending.Id).Select(c => c.MaxAttempts - c.Attempts).FirstAsync(ct);

    /// <summary>Marks the sign-in done: true for the one request that did it.</summary>
    public async Task<bool> CompleteAsync(Challenge pending, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Challenges
            .Where(c => c.Id == pending.Id && c.CompletedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.CompletedAt, now), ct) == 1;
    }

    public ProblemException TooMany(Challenge pending)
    {
        var left = pending.ExpiresAt - clock.GetUtcNow().UtcDateTime;
        return Problems.TooManyAttempts(Math.Max(1, (int)Math.Ceiling(left.TotalSeconds)),
            "Too many wrong second factors for this sign-in; sign in again.");
    }
}
