using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.Crypto;
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
    /// <summary>Address-only, counted after the lookup (<see cref="CredentialThrottle.CountUnknownAsync"/>): refresh tokens are too long to guess, an unknown one is a probe.</summary>
    public const string RefreshToken = "refresh";
    /// <summary>Address-only (pass no account): app server keys in HTTP Basic.</summary>
    public const string ServerKey = "serverKey";
}

/// <summary>One credential check under way: what <see cref="CredentialThrottle.EnsureAllowedAsync"/> answers.</summary>
public sealed record CredentialAttempt(string AppId, string Kind)
{
    internal string? AccountKey { get; init; }
    internal string? AddressKey { get; init; }
    /// <summary>Counted before the check (account and address): a success or <see cref="CredentialThrottle.GiveBackAsync"/> takes it back.</summary>
    internal bool Reserved { get; init; }
    /// <summary>When reserved: the account's consecutive failures, this attempt included.</summary>
    internal int Failures { get; init; }
    /// <summary>When reserved: the lock this attempt set, were it to fail.</summary>
    internal DateTime? LockedUntil { get; init; }
    /// <summary>When reserved: the address window this attempt was counted in.</summary>
    internal DateTime? AddressWindowStart { get; init; }
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
            AddressKey = ThrottleKeys.Address(keys, http.HttpContext, "addr", appId),
        };
        if (attempt.AccountKey is null)
        {
            // Note: address-only kinds check secrets too long to guess (a refresh token, a server
            // key, a passkey's signature): a failure is a probe, so reading the budget first suffices.
            var rows = await _store.ReadAsync([attempt.AddressKey], ct);
            if (AddressBlockedUntil(rows.FirstOrDefault(), now) is { } blocked)
            {
                throw Refused(blocked, now);
            }
            return attempt;
        }

        // Note: every attempt is counted as a failure before the secret is compared, for the account
        // and the address in one statement (a success takes it back), so a burst of parallel guesses
        // on any number of nodes gets no more checks than the free allowance.
        RateLimitCounterStore.Window[] windows = attempt.AddressKey is null ? [] : [new(attempt.AddressKey, Policy.AddressFailures)];
        var counted = await _store.ReserveAsync(appId, attempt.AccountKey, Policy, windows, Policy.AddressWindow, now, ct);
        var accountRow = counted.FirstOrDefault(r => r.Key == attempt.AccountKey);
        var addressRow = counted.FirstOrDefault(r => r.Key == attempt.AddressKey);
        if (accountRow is not null && (attempt.AddressKey is null || addressRow is not null))
        {
            return attempt with
            {
                Reserved = true,
                Failures = accountRow.ConsecutiveFailures,
                LockedUntil = accountRow.LockedUntil,
                AddressWindowStart = addressRow?.WindowStart,
            };
        }

        // Refused by one counter: the other gets its count back, and the answer says how long to wait.
        await _store.ReleaseAsync(accountRow?.Key, accountRow?.ConsecutiveFailures ?? 0, Windows(addressRow), now, ct);
        var current = await _store.ReadAsync([accountRow is null ? attempt.AccountKey : null, addressRow is null ? attempt.AddressKey : null], ct);
        var until = Later(AddressBlockedUntil(current.FirstOrDefault(r => r.Key == attempt.AddressKey), now),
            current.FirstOrDefault(r => r.Key == attempt.AccountKey)?.LockedUntil);
        throw Refused(until > now ? until.Value : now.AddSeconds(1), now);
    }

    /// <summary>The secret was wrong (or the account unknown): it stays counted for the account and the address, and is logged.</summary>
    public async Task RecordFailureAsync(CredentialAttempt attempt, CancellationToken ct)
    {
        var now = Now();
        if (!attempt.Reserved && attempt.AddressKey is { } addressKey)
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
                attempt.Kind, attempt.AppId, attempt.Failures, attempt.LockedUntil > now ? Seconds(attempt.LockedUntil.Value - now) : 0);
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

    /// <summary>The secret was right: the account's consecutive failures start again from zero, and the address gets its count back.</summary>
    public async Task RecordSuccessAsync(CredentialAttempt attempt, CancellationToken ct)
    {
        if (attempt.Reserved)
        {
            await _store.SucceededAsync(attempt.AccountKey, Windows(attempt), Now(), ct);
        }
    }

    /// <summary>The secret could not be checked (the server was too busy): the attempt was no guess, so its counts are given back.</summary>
    public async Task GiveBackAsync(CredentialAttempt attempt, CancellationToken ct)
    {
        if (attempt.Reserved)
        {
            await _store.ReleaseAsync(attempt.AccountKey, attempt.Failures, Windows(attempt), Now(), ct);
        }
    }

    /// <summary>
    /// A secret that is too long to guess was not found (an unknown refresh token): counted for the
    /// address after the lookup, so that a found one is never refused; 429 <c>rate_limited</c> once
    /// the address has spent its budget, else the caller answers its own error.
    /// </summary>
    public async Task CountUnknownAsync(string appId, string kind, CancellationToken ct)
    {
        if (ThrottleKeys.Address(keys, http.HttpContext, "addr", appId) is not { } addressKey)
        {
            return;
        }
        var now = Now();
        var counted = await _store.ReserveAsync(appId, null, null, [new(addressKey, Policy.AddressFailures)], Policy.AddressWindow, now, ct);
        if (counted.Count == 0)
        {
            var row = (await _store.ReadAsync([addressKey], ct)).FirstOrDefault();
            throw Refused(AddressBlockedUntil(row, now) ?? now.AddSeconds(1), now);
        }
        logger.LogWarning("Failed {Kind} check in app {AppId}", kind, appId);
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

    private static List<(string Key, DateTime WindowStart)> Windows(RateLimitCounterStore.Counted? address) =>
        address is null ? [] : [(address.Key, address.WindowStart)];

    private static List<(string Key, DateTime WindowStart)> Windows(CredentialAttempt attempt) =>
        attempt is { AddressKey: { } key, AddressWindowStart: { } start } ? [(key, start)] : [];

    private static ProblemException Refused(DateTime until, DateTime now) => Problems.RateLimited(Seconds(until - now), Wait);

    private static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    private static DateTime? Later(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
