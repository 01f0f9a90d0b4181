using System.Net;
using System.Net.Sockets;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>What a credential check compares; each kind keeps its own per-account counter.</summary>
public static class CredentialKinds
{
    public const string Password = "password";
    /// <summary>One-time codes sent by email or SMS (sign-in, sign-up, recovery), per target across challenges.</summary>
    public const string Code = "code";
    public const string Invitation = "invitation";
    public const string Pin = "pin";
    /// <summary>TOTP, SMS and recovery codes at the second step of a sign-in.</summary>
    public const string SecondFactor = "mfa";
    /// <summary>Address-only (pass no account): refresh tokens are too long to guess, a failure is a probe.</summary>
    public const string RefreshToken = "refresh";
    /// <summary>Address-only (pass no account): app server keys in HTTP Basic.</summary>
    public const string ServerKey = "serverKey";
}

/// <summary>One credential check under way: what <see cref="CredentialThrottle.EnsureAllowedAsync"/> answers.</summary>
public sealed record CredentialAttempt(string AppId, string Kind)
{
    internal string? AccountKey { get; init; }
    internal string? AddressKey { get; init; }
    /// <summary>The account's consecutive failures when the check began.</summary>
    internal int FailuresBefore { get; init; }
    /// <summary>Already counted against the account as a failure; a success takes it back.</summary>
    internal bool Counted { get; init; }
    /// <summary>When counted: the lock that failure set.</summary>
    internal DateTime? LockedUntil { get; init; }
}

/// <summary>
/// Rate limits and lockout on credential checks (S5), kept in <c>rate_limit_counters</c> so that
/// every node counts the same failures. Use it around each check of a secret:
/// <code>
/// var attempt = await throttle.EnsureAllowedAsync(app.Id, CredentialKinds.Pin, sessionId.ToString(), ct);
/// if (!matches) { await throttle.RecordFailureAsync(attempt, ct); throw …; }
/// await throttle.RecordSuccessAsync(attempt, ct);
/// </code>
/// Policy (<see cref="RateLimitOptions"/>): per account, a few free failures, then waits that double
/// up to a cap, and a long lock at 100 in a row; per source address and app, a failure budget per
/// window. Refusals are 429 <c>rate_limited</c> with <c>Retry-After</c>, before the secret is even
/// compared. The account is a blind index of what the caller passes, so an unknown handle counts
/// exactly like a known one and the answers cannot tell them apart.
/// </summary>
public sealed class CredentialThrottle(
    LatchkeyDbContext db,
    ServerKeys keys,
    IOptions<RateLimitOptions> options,
    IHttpContextAccessor http,
    AuditLog audit,
    TimeProvider clock,
    ILogger<CredentialThrottle> logger)
{
    private const string Wait = "Too many failed attempts: wait before trying again.";
    private readonly RateLimitCounterStore _store = new(db);
    private RateLimitOptions Policy => options.Value;

    /// <summary>
    /// Refuses with 429 <c>rate_limited</c> (and <c>Retry-After</c>) while the account or the client
    /// address must wait; call it before the expensive check.
    /// </summary>
    /// <param name="appId">The app whose counters apply.</param>
    /// <param name="kind">One of <see cref="CredentialKinds"/> (or another short, stable name).</param>
    /// <param name="account">
    /// Whatever names the account the secret belongs to, normalised (an email, a user id, a challenge
    /// target); it is stored only as a keyed hash. Null: count per address only.
    /// </param>
    public async Task<CredentialAttempt> EnsureAllowedAsync(string appId, string kind, string? account, CancellationToken ct)
    {
        // Keys must fit rate_limit_counters.Key (200).
        ArgumentOutOfRangeException.ThrowIfGreaterThan(kind.Length, 32);
        var now = Now();
        var attempt = new CredentialAttempt(appId, kind)
        {
            AccountKey = account is null ? null : $"acct:{appId}:{kind}:{Convert.ToHexStringLower(keys.Blind(appId, "throttle:" + kind, account))}",
            AddressKey = AddressKey(appId),
        };
        var rows = await _store.ReadAsync([attempt.AccountKey, attempt.AddressKey], ct);
        var accountRow = rows.FirstOrDefault(r => r.Key == attempt.AccountKey);
        var addressRow = rows.FirstOrDefault(r => r.Key == attempt.AddressKey);

        var until = Later(AddressBlockedUntil(addressRow, now), accountRow?.LockedUntil);
        if (until > now)
        {
            throw Refused(until.Value, now);
        }
        if (accountRow is not { ConsecutiveFailures: > 0 })
        {
            return attempt;
        }
        // Note: an account that failed lately has this attempt counted as a failure before the check
        // (a success takes it back), so parallel guesses on any number of nodes cannot slip past a lock.
        var counted = await _store.AddFailureAsync(attempt.AccountKey!, appId, accountRow, Policy, now, onlyIfUnlocked: true, ct);
        if (!counted.Counted)
        {
            throw Refused(counted.LockedUntil ?? now.AddSeconds(1), now);
        }
        return attempt with { FailuresBefore = counted.Failures - 1, Counted = true, LockedUntil = counted.LockedUntil };
    }

    /// <summary>The secret was wrong (or the account unknown): counts it for the account and the address, and logs it.</summary>
    public async Task RecordFailureAsync(CredentialAttempt attempt, CancellationToken ct)
    {
        var now = Now();
        var (failures, lockedUntil) = (attempt.FailuresBefore + 1, attempt.LockedUntil);
        if (attempt.AccountKey is { } accountKey && !attempt.Counted)
        {
            var counted = await _store.AddFailureAsync(accountKey, attempt.AppId, null, Policy, now, onlyIfUnlocked: false, ct);
            (failures, lockedUntil) = (counted.Failures, counted.LockedUntil);
        }
        if (attempt.AddressKey is { } addressKey)
        {
            await _store.AddToWindowAsync(addressKey, attempt.AppId, Policy.AddressWindow, now, ct);
        }
        // Note: no handle, address or secret in the log: the app, the kind and the counts say enough.
        if (attempt.AccountKey is null)
        {
            logger.LogWarning("Failed {Kind} check in app {AppId}", attempt.Kind, attempt.AppId);
        }
        else
        {
            logger.LogWarning("Failed {Kind} check in app {AppId}: {Failures} consecutive failures of this account, which waits {WaitSeconds} s",
                attempt.Kind, attempt.AppId, failures, lockedUntil > now ? Seconds(lockedUntil.Value - now) : 0);
        }
    }

    /// <summary>
    /// A sign-in refused for a wrong secret: counted as <see cref="RecordFailureAsync"/> does, and
    /// recorded in the app's audit trail (P5) as <c>signin.failed</c>, aimed at the account when the
    /// handle named one. Known and unknown handles do the same work, so timing does not tell them apart.
    /// </summary>
    public async Task RecordFailedSignInAsync(CredentialAttempt attempt, Guid? userId, string method, CancellationToken ct)
    {
        await RecordFailureAsync(attempt, ct);
        audit.RecordAttempt(attempt.AppId, AuditActions.SignInFailed, userId, $"method={method}");
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The secret was right: the account's consecutive failures start again from zero.</summary>
    public async Task RecordSuccessAsync(CredentialAttempt attempt, CancellationToken ct)
    {
        if (attempt.AccountKey is { } accountKey && (attempt.Counted || attempt.FailuresBefore > 0))
        {
            await _store.ResetFailuresAsync(accountKey, Now(), ct);
        }
    }

    /// <summary>
    /// Lets one message go to one target per <paramref name="pause"/>, decided by the database so
    /// that simultaneous requests on any nodes send once; the others get 429 <c>rate_limited</c>.
    /// </summary>
    public async Task EnsureSendAllowedAsync(string appId, string purpose, byte[] targetIndex, TimeSpan pause, CancellationToken ct)
    {
        if (pause <= TimeSpan.Zero)
        {
            return;
        }
        var now = Now();
        var key = $"send:{appId}:{purpose}:{Convert.ToHexStringLower(targetIndex)}";
        if (await _store.TryClaimPauseAsync(key, appId, pause, now, ct) is { } busyUntil)
        {
            throw Problems.RateLimited(Seconds(busyUntil - now),
                "A code was sent to this address a moment ago; wait before asking for another.");
        }
    }

    private DateTime Now() => clock.GetUtcNow().UtcDateTime;

    private DateTime? AddressBlockedUntil(RateLimitCounter? row, DateTime now) =>
        row is not null && row.WindowCount >= Policy.AddressFailures && row.WindowStart + Policy.AddressWindow > now
            ? row.WindowStart + Policy.AddressWindow
            : null;

    /// <summary>
    /// The client address as a counter key: IPv4 as is, IPv6 by its /64 (one subscriber's network,
    /// which holds more addresses than any budget); stored as a keyed hash, never in clear.
    /// </summary>
    private string? AddressKey(string appId)
    {
        if (http.HttpContext is not { } context)
        {
            return null;
        }
        var address = ClientAddress.Of(context);
        string source;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            source = new IPAddress(bytes) + "/64";
        }
        else
        {
            source = address.ToString();
        }
        return $"addr:{appId}:{Convert.ToHexStringLower(keys.Blind(appId, "throttle-address", source))}";
    }

    private static ProblemException Refused(DateTime until, DateTime now) => Problems.RateLimited(Seconds(until - now), Wait);

    private static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    private static DateTime? Later(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
