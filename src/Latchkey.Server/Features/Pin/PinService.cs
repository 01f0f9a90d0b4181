using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Pin;

/// <summary>What a refresh request says about the PIN: the PIN itself, and whether the app was unloaded from memory.</summary>
public sealed record PinUnlock(string? Pin, bool Unloaded)
{
    public static readonly PinUnlock None = new(null, false);
}

/// <summary>
/// The PIN that unlocks a session after the app was idle or unloaded (MISSION S1). The PIN belongs
/// to the user (hashed like a password); whether it is needed, and how many wrong ones were given,
/// belongs to the session, so a brute force on one device locks that device only.
/// </summary>
public sealed class PinService(
    LatchkeyDbContext db,
    PasswordHasher hasher,
    SessionService sessions,
    CredentialThrottle throttle,
    AuditLog audit,
    TimeProvider clock,
    ILogger<PinService> logger)
{
    public const string FailedAction = "security.pin_failed";
    public const string LockedAction = "security.pin_locked";

    /// <summary>
    /// How long after a full sign-in the session may replace or remove the PIN without the current
    /// one. Note: this is the way back for a user who forgot the PIN: sign in again with the
    /// password (or a code), then set a new PIN.
    /// </summary>
    public static readonly TimeSpan FreshSignIn = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The refresh gate. Does nothing unless the app uses PINs and the user has one. Otherwise, when
    /// the app says it was unloaded or the session was idle longer than the app allows, marks the
    /// session as needing the PIN; while it does, only the right PIN lets the refresh go on.
    /// Throws pin_required (no rotation happens, so the same refresh token works once the PIN is
    /// given) or pin_locked.
    /// </summary>
    public async Task EnsureUnlockedAsync(App app, User user, Session session, PinUnlock unlock, CancellationToken ct)
    {
        if (!app.Settings.PinEnabled || user.PinHash is null)
        {
            return;
        }
        // Note: the session row the caller read with its refresh token carries the PIN state.
        var sessionId = session.Id;
        var now = clock.GetUtcNow().UtcDateTime;
        if (session.PinRequiredSince is null)
        {
            var idle = app.Settings.IdleLimitSeconds is { } limit
                && now - session.LastSeenAt > TimeSpan.FromSeconds(limit);
            if (!unlock.Unloaded && !idle)
            {
                return;
            }
            // Note: conditional, so the first request to notice keeps the earliest time.
            await db.Sessions.Where(s => s.Id == sessionId && s.PinRequiredSince == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.PinRequiredSince, now), ct);
            logger.LogInformation("Session {SessionId} of app {AppId} needs the PIN ({Reason})", sessionId, app.Id, idle ? "idle" : "unloaded");
        }
        if (string.IsNullOrEmpty(unlock.Pin))
        {
            throw Problems.PinRequired("Enter your PIN to go on, then send this refresh token again with it.",
                Math.Max(0, app.Settings.PinMaxAttempts - session.PinFailures));
        }
        await VerifyAsync(app, user, sessionId, unlock.Pin, ct);
    }

    /// <summary>
    /// Checks the PIN for a session. An attempt is counted in the database before the hash is
    /// compared, so parallel guesses can never exceed the app's limit; the right PIN resets the
    /// count and unlocks the session, the last wrong one revokes it (pin_locked). On top of the
    /// session's own limit, the S5 throttle slows down PIN failures per user (over all their
    /// sessions) and per source address (429 rate_limited).
    /// </summary>
    public async Task VerifyAsync(App app, User user, Guid sessionId, string pin, CancellationToken ct)
    {
        var attempt = await throttle.EnsureAllowedAsync(app.Id, CredentialKinds.Pin, user.Id.ToString(), ct);
        var max = app.Settings.PinMaxAttempts;
        var reserved = await db.Sessions
            .Where(s => s.Id == sessionId && s.RevokedAt == null && s.PinFailures < max)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.PinFailures, x => x.PinFailures + 1), ct);
        if (reserved == 0)
        {
            var reason = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.RevokedReason).FirstOrDefaultAsync(ct);
            if (reason is not null && reason != RevokeReasons.PinLocked)
            {
                throw Problems.SessionRevoked();
            }
            await LockAsync(app, user, sessionId, ct);
            throw Problems.PinLocked();
        }

        PasswordCheck check;
        try
        {
            check = await hasher.VerifyAsync(user.PinHash, pin, ct);
        }
        catch (ProblemException)
        {
            // The hasher was too busy (429): that was no guess, give the attempt back.
            await throttle.GiveBackAsync(attempt, CancellationToken.None);
            await db.Sessions.Where(s => s.Id == sessionId && s.PinFailures > 0)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.PinFailures, x => x.PinFailures - 1), CancellationToken.None);
            throw;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (check != PasswordCheck.Wrong)
        {
            await throttle.RecordSuccessAsync(attempt, ct);
            var unlocked = await db.Sessions.Where(s => s.Id == sessionId && s.RevokedAt == null).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.PinFailures, 0)
                .SetProperty(x => x.PinRequiredSince, (DateTime?)null)
                .SetProperty(x => x.LastSeenAt, now), ct);
            if (unlocked == 0)
            {
                // Parallel wrong guesses used up the attempts (and locked the session) meanwhile.
                throw Problems.PinLocked();
            }
            if (check == PasswordCheck.ValidNeedsRehash)
            {
                var rehashed = await hasher.HashAsync(pin, HashLane.SignIn, ct);
                await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.PinHash, rehashed), ct);
            }
            return;
        }

        await throttle.RecordFailureAsync(attempt, ct);
        var failures = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.PinFailures).FirstAsync(ct);
        var left = Math.Max(0, max - failures);
        logger.LogWarning("Wrong PIN for session {SessionId} of user {UserId} in app {AppId} from {Source}: {AttemptsLeft} attempts left",
            sessionId, user.Id, app.Id, audit.SourceIn(app.Id), left);
        audit.RecordSelf(app.Id, user.Id, FailedAction, $"session {sessionId}; {left} attempts left");
        await db.SaveChangesAsync(ct);
        if (left == 0)
        {
            await LockAsync(app, user, sessionId, ct);
            throw Problems.PinLocked();
        }
        throw Problems.PinRequired("The PIN is wrong.", left);
    }

    /// <summary>Sets or replaces the signed-in user's PIN (PUT /me/pin).</summary>
    public async Task SetAsync(App app, Guid userId, Guid sessionId, string? pin, string? currentPin, CancellationToken ct)
    {
        if (!app.Settings.PinEnabled)
        {
            throw Problems.Forbidden("This app does not use PINs.");
        }
        PinRules.Check(pin);
        var user = await db.Users.FirstAsync(u => u.Id == userId, ct);
        if (user.PinHash is not null)
        {
            await EnsureCurrentAsync(app, user, sessionId, currentPin, "replace", ct);
        }
        user.PinHash = await hasher.HashAsync(pin!, ct);
        user.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Removes the signed-in user's PIN (DELETE /me/pin); allowed also after the app stopped using PINs.</summary>
    public async Task RemoveAsync(App app, Guid userId, Guid sessionId, string? currentPin, CancellationToken ct)
    {
        var user = await db.Users.FirstAsync(u => u.Id == userId, ct);
        if (user.PinHash is null)
        {
            return;
        }
        await EnsureCurrentAsync(app, user, sessionId, currentPin, "remove", ct);
        user.PinHash = null;
        user.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>POST /me/pin/verify: an app that locks its own UI checks the PIN and unlocks the session.</summary>
    public async Task VerifyForCallerAsync(App app, Guid userId, Guid sessionId, string? pin, CancellationToken ct)
    {
        if (!app.Settings.PinEnabled)
        {
            throw Problems.Forbidden("This app does not use PINs.");
        }
        if (string.IsNullOrEmpty(pin))
        {
            throw Problems.InvalidField("pin", "pin is required.");
        }
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, ct);
        if (user.PinHash is null)
        {
            throw Problems.NotFound("You have not set a PIN.");
        }
        await VerifyAsync(app, user, sessionId, pin, ct);
    }

    private async Task EnsureCurrentAsync(App app, User user, Guid sessionId, string? currentPin, string what, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(currentPin))
        {
            await VerifyAsync(app, user, sessionId, currentPin, ct);
            return;
        }
        var signedInAt = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.CreatedAt).FirstAsync(ct);
        if (clock.GetUtcNow().UtcDateTime - signedInAt > FreshSignIn)
        {
            throw Problems.InvalidField("currentPin",
                $"currentPin is required to {what} a PIN (or sign in again: within {FreshSignIn.TotalMinutes:0} minutes of signing in it is not).");
        }
    }

    private async Task LockAsync(App app, User user, Guid sessionId, CancellationToken ct)
    {
        if (!await sessions.RevokeAsync(sessionId, RevokeReasons.PinLocked, ct))
        {
            return;
        }
        logger.LogWarning("Session {SessionId} of user {UserId} in app {AppId} locked after too many wrong PINs (last from {Source})",
            sessionId, user.Id, app.Id, audit.SourceIn(app.Id));
        audit.RecordSelf(app.Id, user.Id, LockedAction, $"session {sessionId}");
        await db.SaveChangesAsync(ct);
    }
}
