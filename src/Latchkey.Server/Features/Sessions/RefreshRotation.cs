using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Pin;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Sessions;

/// <summary>
/// Refresh-token rotation with reuse detection that tolerates mobile races.
/// A token is used once: a conditional update (UsedAt IS NULL) in the database picks the one
/// request that rotates it, on any node. Its successor is derived from the token itself, so a
/// retry or a racing request within the app's reuse interval is answered the same successor, as
/// long as the successor has not been used. Any other replay revokes the family (the session).
/// Both answers are conditional on the session being live in the statement that decides them, so
/// a logout or revoke that lands after the lookup still wins.
/// </summary>
public sealed class RefreshRotation(
    LatchkeyDbContext db,
    SessionService sessions,
    UserProfiles profiles,
    ServerKeys serverKeys,
    PinService pins,
    CredentialThrottle throttle,
    TimeProvider clock,
    ILogger<RefreshRotation> logger)
{
    public Task<TokenResponse> RefreshAsync(App app, string refreshToken, CancellationToken ct) =>
        RefreshAsync(app, refreshToken, PinUnlock.None, ct);

    /// <summary>Rotates the token; where the session needs its PIN (S1), only after <paramref name="unlock"/> gave the right one.</summary>
    public Task<TokenResponse> RefreshAsync(App app, string refreshToken, PinUnlock unlock, CancellationToken ct) =>
        RefreshAsync(app, refreshToken, unlock, clientId: null, ct);

    /// <summary>
    /// As above, for the refresh tokens of <paramref name="clientId"/>'s sessions (X1): a refresh
    /// token is bound to the client it was issued to (RFC 6749 §10.4), and the JSON API's
    /// (<paramref name="clientId"/> null) to none.
    /// </summary>
    public async Task<TokenResponse> RefreshAsync(App app, string refreshToken, PinUnlock unlock, string? clientId, CancellationToken ct)
    {
        // Note: one connection for the whole refresh instead of one per query (each re-open costs a reset).
        await db.Database.OpenConnectionAsync(ct);
        // S5: refresh tokens cannot be guessed, but an address that keeps sending unknown ones is
        // probing. Only unknown tokens are counted and refused (per address): a token that is found
        // is never refused for its address, which thousands of phones behind carrier NAT may share.
        if (!Secrets.TryDecode(refreshToken, 32, out _))
        {
            await throttle.CountUnknownAsync(app.Id, CredentialKinds.RefreshToken, ct);
            throw Problems.RefreshTokenInvalid("The refresh token is not one this server issued.");
        }

        var hash = Secrets.Hash(refreshToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var found = await Find.For(db)(db, hash, app.Id, now, ct);
        if (found is null)
        {
            await throttle.CountUnknownAsync(app.Id, CredentialKinds.RefreshToken, ct);
            throw Problems.RefreshTokenInvalid("The refresh token is not known.");
        }
        if (!string.Equals(found.Session.ClientId, clientId, StringComparison.Ordinal))
        {
            throw Problems.RefreshTokenInvalid(clientId is null
                ? "This refresh token was issued to an OpenID Connect client; refresh it at the provider's token endpoint."
                : "This refresh token was not issued to this client.");
        }

        if (found.Session.RevokedAt is not null)
        {
            throw Refusal(found.Session.RevokedReason);
        }
        if (found.Token.ExpiresAt <= now)
        {
            throw Problems.RefreshTokenInvalid("The refresh token has expired. Sign in again.");
        }
        if (found.User.Disabled)
        {
            throw Problems.UserDisabled();
        }
        if (app.Settings.AccessMode == AccessModes.Registered && !found.User.EmailVerified && !found.User.PhoneVerified)
        {
            // An app switched to registered: sessions of unverified users stop until they verify.
            throw Problems.VerificationRequired("This app now hands out tokens only after the email or phone is verified; sign in again.");
        }

        var successor = SessionService.Successor(serverKeys, refreshToken);
        var successorHash = Secrets.Hash(successor);
        // Note: the PIN gate runs only where tokens would be answered (not before reuse detection),
        // and at most once per request.
        var unlocked = false;
        async Task EnsureUnlockedAsync()
        {
            if (!unlocked)
            {
                await pins.EnsureUnlockedAsync(app, found.User, found.Session, unlock, ct);
                unlocked = true;
            }
        }

        var usedAt = found.Token.UsedAt;
        if (usedAt is null)
        {
            await EnsureUnlockedAsync();
            var rotated = await TryRotateAsync(app, found.Token, successor, now, ct);
            if (rotated is not null)
            {
                return await AnswerAsync(app, found, successor, rotated.ExpiresAt, ct);
            }
            // Another request (maybe on another node) rotated it first: answer as a retry.
            usedAt = now;
        }

        if (now - usedAt.Value <= app.Settings.RefreshReuseInterval)
        {
            // Note: the session is read with the successor, so a revoke since the lookup is seen here.
            var child = await db.RefreshTokens.AsNoTracking()
                .Where(t => t.TokenHash == successorHash)
                .Select(t => new { t.UsedAt, t.ExpiresAt, Live = db.Sessions.Any(s => s.Id == t.SessionId && s.RevokedAt == null) })
                .FirstOrDefaultAsync(ct);
            if (child is { Live: false })
            {
                throw await RefusalAsync(found.Session.Id, ct);
            }
            if (child is { UsedAt: null })
            {
                await EnsureUnlockedAsync();
                return await AnswerAsync(app, found, successor, child.ExpiresAt, ct);
            }
        }

        await sessions.RevokeAsync(found.Session.Id, RevokeReasons.Reuse, ct);
        logger.LogWarning("Refresh token reuse in app {AppId}: session {SessionId} revoked", app.Id, found.Session.Id);
        throw Problems.RefreshTokenReused();
    }

    /// <summary>
    /// Claims the token and writes its successor in one transaction; null when another request
    /// claimed it first. The session must still be live in that transaction: a logout or revoke
    /// since the lookup is either ordered before it (and refused here) or after it.
    /// </summary>
    private async Task<RefreshToken?> TryRotateAsync(App app, RefreshToken parent, string successor, DateTime now, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            return await TryRotateInOneStatementAsync(app, parent, successor, now, ct);
        }
        // Note: plain statements, not ExecuteUpdate and SaveChanges: the same SQL without building
        // LINQ trees or tracking the new row.
        var child = SessionService.NewRefreshToken(app, parent.SessionId, successor, parent.Id, now);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Database.ExecuteSqlAsync(
            $"""UPDATE refresh_tokens SET "UsedAt" = {now} WHERE "Id" = {parent.Id} AND "UsedAt" IS NULL""", ct);
        if (claimed != 1)
        {
            await transaction.RollbackAsync(ct);
            return null;
        }
        // S1: idleness is measured from the last successful refresh; the session lives as long as its newest token.
        var live = await db.Database.ExecuteSqlAsync(
            $"""UPDATE sessions SET "LastSeenAt" = {now}, "ExpiresAt" = {child.ExpiresAt} WHERE "Id" = {parent.SessionId} AND "RevokedAt" IS NULL""", ct);
        if (live != 1)
        {
            await transaction.RollbackAsync(ct);
            throw await RefusalAsync(parent.SessionId, ct);
        }
        // Note: if the insert fails, the whole rotation rolls back.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO refresh_tokens ("Id", "AppId", "SessionId", "TokenHash", "ParentId", "CreatedAt", "ExpiresAt", "UsedAt")
            VALUES ({child.Id}, {child.AppId}, {child.SessionId}, {child.TokenHash}, {parent.Id}, {now}, {child.ExpiresAt}, NULL)
            """, ct);
        await transaction.CommitAsync(ct);
        return child;
    }

    /// <summary>
    /// <see cref="TryRotateAsync"/> on PostgreSQL: the claim, the session's touch and the successor
    /// in one statement (one round trip instead of five). A revoke that commits first makes the
    /// session update find no live row, so no successor is written; the claimed token then belongs
    /// to a revoked session and is refused as such, as the rolled-back transaction would have.
    /// </summary>
    private async Task<RefreshToken?> TryRotateInOneStatementAsync(App app, RefreshToken parent, string successor, DateTime now, CancellationToken ct)
    {
        var child = SessionService.NewRefreshToken(app, parent.SessionId, successor, parent.Id, now);
        var outcome = (await db.Database.SqlQuery<RotationOutcome>($"""
                WITH claimed AS (
                    UPDATE refresh_tokens SET "UsedAt" = {now}
                    WHERE "Id" = {parent.Id} AND "UsedAt" IS NULL
                    RETURNING "Id"),
                touched AS (
                    UPDATE sessions SET "LastSeenAt" = {now}, "ExpiresAt" = {child.ExpiresAt}
                    WHERE "Id" = {parent.SessionId} AND "RevokedAt" IS NULL AND EXISTS (SELECT 1 FROM claimed)
                    RETURNING "Id"),
                inserted AS (
                    INSERT INTO refresh_tokens ("Id", "AppId", "SessionId", "TokenHash", "ParentId", "CreatedAt", "ExpiresAt", "UsedAt")
                    SELECT {child.Id}, {child.AppId}, {child.SessionId}, {child.TokenHash}, {parent.Id}, {now}, {child.ExpiresAt}, NULL FROM touched
                    RETURNING "Id")
                SELECT (SELECT count(*) FROM claimed)::int AS "Claimed", (SELECT count(*) FROM inserted)::int AS "Inserted"
                """).ToListAsync(ct)).Single();
        if (outcome.Claimed != 1)
        {
            return null;
        }
        return outcome.Inserted == 1 ? child : throw await RefusalAsync(parent.SessionId, ct);
    }

    private sealed record RotationOutcome(int Claimed, int Inserted);

    /// <summary>The answer for a session that ended, by why it ended.</summary>
    private static ProblemException Refusal(string? revokedReason) => revokedReason switch
    {
        RevokeReasons.Reuse => Problems.RefreshTokenReused(),
        RevokeReasons.PinLocked => Problems.PinLocked(),
        _ => Problems.SessionRevoked(),
    };

    private async Task<ProblemException> RefusalAsync(Guid sessionId, CancellationToken ct) =>
        Refusal(await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.RevokedReason).FirstOrDefaultAsync(ct));

    private async Task<TokenResponse> AnswerAsync(App app, Found found, string refreshToken, DateTime expiresAt, CancellationToken ct)
    {
        var view = await profiles.ViewAsync(found.User, ct);
        return await sessions.AnswerAsync(app, found.User, found.Session.Id, refreshToken, expiresAt, view, ct,
            new IssueFacts(found.ActiveKeyId, found.HoldsCustomRoles) { Scope = found.Session.Scope });
    }

    /// <summary>A presented refresh token with its session and user, and what issuing its successor's access token needs.</summary>
    private sealed record Found(RefreshToken Token, Session Session, User User, string? ActiveKeyId, bool HoldsCustomRoles);

    /// <summary>
    /// The token by its hash, its session and user, the app's active signing key (the rule of
    /// <see cref="SigningKeys.FindActiveAsync"/>; null when this node's clock lags the key's start,
    /// and issuing then asks that method) and whether the user holds custom roles: one statement,
    /// compiled once (building and caching the LINQ tree per request was a tenth of a refresh).
    /// </summary>
    private static readonly CompiledPerModel<Func<LatchkeyDbContext, byte[], string, DateTime, CancellationToken, Task<Found?>>> Find = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext db, byte[] hash, string appId, DateTime now, CancellationToken ct) =>
            (from t in db.RefreshTokens.AsNoTracking()
             join s in db.Sessions.AsNoTracking() on t.SessionId equals s.Id
             join u in db.Users.AsNoTracking() on s.UserId equals u.Id
             where t.TokenHash == hash && t.AppId == appId
             select new Found(t, s, u,
                 db.SigningKeys
                     .Where(k => k.AppId == appId && k.RevokedAt == null && k.ActiveFrom <= now && (k.RetiredAt == null || k.RetiredAt > now))
                     .OrderByDescending(k => k.ActiveFrom)
                     .Select(k => k.Id)
                     .FirstOrDefault(),
                 db.UserRoles.Any(r => r.AppId == appId && r.UserId == u.Id)))
            .FirstOrDefault()));
}
