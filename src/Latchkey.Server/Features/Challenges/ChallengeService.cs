using System.Security.Cryptography;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Challenges;

/// <summary>What to send, to whom, and why.</summary>
public sealed record ChallengeRequest
{
    public required string Purpose { get; init; }
    public required string Channel { get; init; }
    /// <summary>The normalised email or E.164 phone.</summary>
    public required string Target { get; init; }
    public required string Flow { get; init; }
    public required string MessageKind { get; init; }
    public Guid? UserId { get; init; }
    public ChallengePayload? Payload { get; init; }
    /// <summary>Store it and answer as usual, but send nothing and never accept a code.</summary>
    public bool Decoy { get; init; }
    public string? Language { get; init; }
    /// <summary>Builds the link for the link flow from the challenge id and its secret token.</summary>
    public Func<Guid, string, string>? Link { get; init; }
    /// <summary>The caller already spent the send budgets for this message (a sign-up, before hashing).</summary>
    public bool SendBudgetSpent { get; init; }
}

/// <summary>
/// Sends one-time codes and links and checks them. Every decision that matters (the attempt
/// count, the single use, the link's opening, the single hand-out of tokens) is a conditional
/// update in the database, so concurrent requests on any number of nodes agree.
/// </summary>
public sealed class ChallengeService(
    LatchkeyDbContext db, ServerKeys keys, MessageQueue messages, ChallengeSignals signals, CredentialThrottle throttle, SendBudget budget,
    TimeProvider clock)
{
    public sealed record Started(Challenge Challenge, int ExpiresIn);

    public async Task<Started> StartAsync(App app, ChallengeRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var targetIndex = keys.Blind(app.Id, "challenge-target", request.Target);
        // The address, app and SMS country budgets (decoys spend them too, so refusals tell nothing).
        var spent = request.SendBudgetSpent ? null : await budget.EnsureSendAllowedAsync(app.Id, new Handle(request.Channel, request.Target), ct);
        try
        {
            // A fresh code or link may go to one handle only every codeResendSeconds (decoys count too).
            await throttle.EnsureSendAllowedAsync(app.Id, request.Purpose, targetIndex, app.Settings.CodeResend, ct);
        }
        catch (ProblemException) when (spent is not null)
        {
            await budget.GiveBackAsync(spent, CancellationToken.None);
            throw;
        }

        var lifetime = request.Flow == SignupFlows.Link ? app.Settings.LinkTimeout : app.Settings.CodeTimeout;
        var challenge = new Challenge
        {
            Id = Guid.NewGuid(),
            AppId = app.Id,
            Purpose = request.Purpose,
            Channel = request.Channel,
            Flow = request.Flow,
            TargetIndex = targetIndex,
            UserId = request.UserId,
            Decoy = request.Decoy,
            MaxAttempts = app.Settings.CodeMaxAttempts,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };
        string? code = null, link = null;
        if (request.Flow == SignupFlows.Link)
        {
            var token = Secrets.NewToken();
            challenge.LinkTokenHash = Secrets.Hash(token);
            link = request.Link?.Invoke(challenge.Id, token) ?? throw new InvalidOperationException("A link challenge needs a link.");
        }
        else
        {
            code = OneTimeCodes.New();
            challenge.CodeHash = keys.CodeHash(challenge.Id, code);
        }
        var payload = (request.Payload ?? new ChallengePayload()) with
        {
            Email = request.Channel == Channels.Email ? request.Target : request.Payload?.Email,
            Phone = request.Channel == Channels.Sms ? request.Target : request.Payload?.Phone,
        };
        challenge.PayloadSealed = keys.SealPending(PayloadContext(challenge.Id), JsonSerializer.Serialize(payload, JsonSerializerOptions.Web));

        db.Challenges.Add(challenge);
        if (!request.Decoy)
        {
            await messages.QueueAsync(app, new OutgoingMessage(request.Channel, request.Target, request.MessageKind, request.Language, code, link, challenge.ExpiresAt), ct);
        }
        await db.SaveChangesAsync(ct);
        return new Started(challenge, (int)lifetime.TotalSeconds);
    }

    /// <summary>
    /// Adds a challenge that sends nothing (S3: a sign-in waiting for its second factor) to the
    /// caller's unit of work, its payload sealed like every other challenge's.
    /// </summary>
    public void AddSilent(Challenge challenge, ChallengePayload payload)
    {
        challenge.PayloadSealed = keys.SealPending(PayloadContext(challenge.Id), JsonSerializer.Serialize(payload, JsonSerializerOptions.Web));
        db.Challenges.Add(challenge);
    }

    /// <summary>Checks a code; completes the challenge exactly once or throws the contract's code error.</summary>
    public async Task<Challenge> VerifyCodeAsync(App app, Guid id, string? code, IReadOnlyCollection<string> purposes, CancellationToken ct)
    {
        var challenge = await FindAsync(app, id, purposes, ct);
        if (challenge.Flow != SignupFlows.Code)
        {
            throw Problems.CodeInvalid("This verification is completed by opening the link that was sent.");
        }
        return await CheckCodeAsync(challenge, code, ct);
    }

    /// <summary>The newest live challenge of a purpose sent to a handle (recovery by email and code).</summary>
    public async Task<Challenge?> FindLatestAsync(App app, string target, string purpose, CancellationToken ct)
    {
        var targetIndex = keys.Blind(app.Id, "challenge-target", target);
        return await db.Challenges.AsNoTracking()
            .Where(c => c.AppId == app.Id && c.TargetIndex == targetIndex && c.Purpose == purpose)
            .OrderByDescending(c => c.CreatedAt)
            .FirstOrDefaultAsync(ct);
    }

    public async Task<Challenge> CheckCodeAsync(Challenge challenge, string? code, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        EnsureOpen(challenge, now);
        if (challenge.Attempts >= challenge.MaxAttempts)
        {
            throw TooMany(challenge, now);
        }
        // S5: guesses at one handle's codes count across all its challenges, and per address.
        var attempt = await throttle.EnsureAllowedAsync(challenge.AppId, CredentialKinds.Code, Convert.ToHexStringLower(challenge.TargetIndex), ct);
        // Note: the attempt is counted before the code is compared, in one conditional update,
        // so parallel guesses on many nodes still get codeMaxAttempts tries in all.
        var counted = await db.Challenges
            .Where(c => c.Id == challenge.Id && c.Attempts < c.MaxAttempts && c.CompletedAt == null)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.Attempts, x => x.Attempts + 1), ct);
        if (counted == 0)
        {
            throw TooMany(challenge, now);
        }
        var matches = !challenge.Decoy && OneTimeCodes.Matches(keys, challenge.Id, challenge.CodeHash, code);
        if (!matches)
        {
            if (challenge.Purpose == ChallengePurposes.Login)
            {
                await throttle.RecordFailedSignInAsync(attempt, challenge.Decoy ? null : challenge.UserId, "code", ct);
            }
            else
            {
                await throttle.RecordFailureAsync(attempt, ct);
            }
            var left = await db.Challenges.Where(c => c.Id == challenge.Id).Select(c => c.MaxAttempts - c.Attempts).FirstAsync(ct);
            if (left <= 0)
            {
                throw TooMany(challenge, now);
            }
            throw Problems.CodeInvalid("This code is not right.", left);
        }
        await throttle.RecordSuccessAsync(attempt, ct);
        return await CompleteAsync(challenge, now, ct)
            ? challenge
            : throw Problems.CodeInvalid("This code was already used.");
    }

    /// <summary>A code given for a handle that has no challenge: counted like a wrong code (S5), and answered alike.</summary>
    public async Task<ProblemException> NoSuchCodeAsync(App app, string target, CancellationToken ct)
    {
        var targetIndex = keys.Blind(app.Id, "challenge-target", target);
        var attempt = await throttle.EnsureAllowedAsync(app.Id, CredentialKinds.Code, Convert.ToHexStringLower(targetIndex), ct);
        await throttle.RecordFailureAsync(attempt, ct);
        return Problems.CodeInvalid("This code is not right.");
    }

    /// <summary>The challenge a link's token belongs to, if the token is one this app sent.</summary>
    public async Task<Challenge?> FindByLinkAsync(App app, string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || !Secrets.TryDecode(token, 32, out _))
        {
            return null;
        }
        var hash = Secrets.Hash(token);
        return await db.Challenges.AsNoTracking().FirstOrDefaultAsync(c => c.AppId == app.Id && c.LinkTokenHash == hash && c.Flow == SignupFlows.Link, ct);
    }

    /// <summary>Opens a link: true the first time, false when it was already opened.</summary>
    public async Task<(Challenge Challenge, bool First)> ConfirmLinkAsync(App app, string? token, IReadOnlyCollection<string> purposes, CancellationToken ct)
    {
        var challenge = await FindOpenLinkAsync(app, token, purposes, ct);
        return challenge.CompletedAt is not null ? (challenge, false) : (challenge, await CompleteAsync(challenge, clock.GetUtcNow().UtcDateTime, ct));
    }

    /// <summary>
    /// Opens a link whose completion makes or proves a user that someone waits for (the link flow):
    /// the first opening completes the challenge, runs <paramref name="complete"/> and records the
    /// user it answers in one transaction, so a waiter on any node sees either an open challenge
    /// or a completed one with its user, never a completed one without (issue 11); if
    /// <paramref name="complete"/> throws, the link stays unused. Waiters are woken after the commit.
    /// </summary>
    public async Task<(Challenge Challenge, bool First)> ConfirmLinkAsync(
        App app, string? token, IReadOnlyCollection<string> purposes, Func<Challenge, CancellationToken, Task<Guid>> complete, CancellationToken ct)
    {
        var challenge = await FindOpenLinkAsync(app, token, purposes, ct);
        if (challenge.CompletedAt is not null)
        {
            return (challenge, false);
        }
        Guid userId;
        // Note: the transaction's first statement writes, so SQLite takes its write lock (and
        // waits for it) at once instead of failing to upgrade a read snapshot later.
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            if (!await CompleteAsync(challenge, clock.GetUtcNow().UtcDateTime, ct))
            {
                return (challenge, false);
            }
            userId = await complete(challenge, ct);
            await db.Challenges.Where(c => c.Id == challenge.Id).ExecuteUpdateAsync(c => c.SetProperty(x => x.UserId, userId), ct);
            await transaction.CommitAsync(ct);
        }
        challenge.UserId = userId;
        signals.Notify(challenge.Id);
        await PostgresChallengeListener.NotifyAsync(db, challenge.Id, ct);
        return (challenge, true);
    }

    private async Task<Challenge> FindOpenLinkAsync(App app, string? token, IReadOnlyCollection<string> purposes, CancellationToken ct)
    {
        var challenge = await FindByLinkAsync(app, token, ct);
        if (challenge is null || !purposes.Contains(challenge.Purpose))
        {
            throw Problems.CodeInvalid("This link is not valid.");
        }
        if (challenge.CompletedAt is null)
        {
            EnsureOpen(challenge, clock.GetUtcNow().UtcDateTime);
        }
        return challenge;
    }

    /// <summary>Hands a completed link challenge's tokens out once: true for the one caller that gets them.</summary>
    public async Task<bool> ClaimAsync(Challenge challenge, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Challenges
            .Where(c => c.Id == challenge.Id && c.CompletedAt != null && c.UserId != null && c.ClaimedAt == null)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.ClaimedAt, now), ct) == 1;
    }

    public async Task<Challenge?> ReloadAsync(App app, Guid id, CancellationToken ct) =>
        await db.Challenges.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id && c.AppId == app.Id, ct);

    public ChallengePayload Payload(Challenge challenge) =>
        challenge.PayloadSealed is null
            ? new ChallengePayload()
            : JsonSerializer.Deserialize<ChallengePayload>(keys.OpenPending(PayloadContext(challenge.Id), challenge.PayloadSealed), JsonSerializerOptions.Web)!;

    private async Task<Challenge> FindAsync(App app, Guid id, IReadOnlyCollection<string> purposes, CancellationToken ct)
    {
        var challenge = await ReloadAsync(app, id, ct);
        if (challenge is null || !purposes.Contains(challenge.Purpose))
        {
            throw Problems.CodeInvalid("There is no such verification in this app.");
        }
        return challenge;
    }

    private static void EnsureOpen(Challenge challenge, DateTime now)
    {
        if (challenge.CompletedAt is not null)
        {
            throw Problems.CodeInvalid("This code or link was already used.");
        }
        if (now >= challenge.ExpiresAt)
        {
            throw Problems.CodeExpired();
        }
    }

    private async Task<bool> CompleteAsync(Challenge challenge, DateTime now, CancellationToken ct)
    {
        var done = await db.Challenges
            .Where(c => c.Id == challenge.Id && c.CompletedAt == null)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.CompletedAt, now), ct) == 1;
        challenge.CompletedAt = now;
        return done;
    }

    private ProblemException TooMany(Challenge challenge, DateTime now) =>
        Problems.TooManyAttempts(Math.Max(1, (int)Math.Ceiling((challenge.ExpiresAt - now).TotalSeconds)),
            "Too many wrong codes: this one is dead. Ask for a new code.");

    private static string PayloadContext(Guid id) => $"challenge:{id}";
}
