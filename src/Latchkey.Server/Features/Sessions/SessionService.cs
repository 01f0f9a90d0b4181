using System.Security.Cryptography;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Sessions;

/// <summary>Starts sessions and ends them. Rotation lives in <see cref="RefreshRotation"/>.</summary>
public sealed class SessionService(LatchkeyDbContext db, AccessTokens accessTokens, AuditLog audit, TimeProvider clock)
{
    /// <summary>Opens a session for a user who just proved who they are, and answers its first tokens.</summary>
    public async Task<TokenResponse> StartAsync(App app, User user, UserKey userKey, UserView view, Device? device, CancellationToken ct) =>
        await StartAsync(app, user, userKey, view, device, SessionStart.Api, ct);

    /// <summary>
    /// Opens a session as <paramref name="start"/> says: for an OpenID Connect client, with rows that
    /// must be saved in the same transaction (the redeemed code that started it).
    /// </summary>
    public async Task<TokenResponse> StartAsync(App app, User user, UserKey userKey, UserView view, Device? device, SessionStart start, CancellationToken ct)
    {
        if (user.Disabled)
        {
            throw Problems.UserDisabled();
        }
        // Note: the one gate every way in passes: a registered app hands out no token to a user
        // whose email or phone is not verified (MISSION A1).
        if (app.Settings.AccessMode == AccessModes.Registered && !user.EmailVerified && !user.PhoneVerified)
        {
            throw Problems.VerificationRequired("This app hands out tokens only after the email or phone is verified.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var session = new Session
        {
            Id = Guid.CreateVersion7(),
            AppId = app.Id,
            UserId = user.Id,
            DeviceSealed = device is null ? null : userKey.Encrypt("device", JsonSerializer.Serialize(device, JsonSerializerOptions.Web)),
            CreatedAt = now,
            LastSeenAt = now,
            ClientId = start.ClientId,
            Scope = start.Scope,
        };
        var refreshToken = Secrets.NewToken();
        var row = NewRefreshToken(app, session.Id, refreshToken, parentId: null, now);
        session.ExpiresAt = row.ExpiresAt;
        db.Sessions.Add(session);
        db.RefreshTokens.Add(row);
        start.AddAlongside?.Invoke(session);
        // P5: every sign-in, whichever way in (this is the one gate all pass), with the route it came by.
        audit.RecordSelf(app.Id, user.Id, AuditActions.SignIn, $"session={session.Id}" + (audit.Route is { } route ? $"; via={route}" : ""));
        await db.SaveChangesAsync(ct);
        return await AnswerAsync(app, user, session.Id, refreshToken, row.ExpiresAt, view, ct, IssueFacts.Unknown with { Scope = start.Scope });
    }

    internal async Task<TokenResponse> AnswerAsync(App app, User user, Guid sessionId, string refreshToken, DateTime refreshExpiresAt, UserView view,
        CancellationToken ct, IssueFacts facts = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var access = await accessTokens.CreateAsync(app, user, sessionId, facts, ct);
        return new TokenResponse(access, app.Settings.AccessTokenLifetimeSeconds, refreshToken,
            Math.Max(0, (int)(refreshExpiresAt - now).TotalSeconds), Plans.PlanRules.Show(view, user, now)) { Scope = facts.Scope };
    }

    internal static RefreshToken NewRefreshToken(App app, Guid sessionId, string token, Guid? parentId, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(),
        AppId = app.Id,
        SessionId = sessionId,
        TokenHash = Secrets.Hash(token),
        ParentId = parentId,
        CreatedAt = now,
        ExpiresAt = now + app.Settings.RefreshTokenLifetime,
    };

    /// <summary>
    /// Ends one session; true when it was live. A conditional update, so two nodes agree. A
    /// <see cref="RevokeReasons.Logout"/> (the API's or the console's) is audited as <c>signout</c>.
    /// </summary>
    public async Task<bool> RevokeAsync(Guid sessionId, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var revoked = await db.Sessions
            .Where(s => s.Id == sessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.RevokedReason, reason), ct) == 1;
        if (revoked && reason == RevokeReasons.Logout)
        {
            var session = await db.Sessions.IgnoreQueryFilters().AsNoTracking()
                .Where(s => s.Id == sessionId).Select(s => new { s.AppId, s.UserId }).FirstAsync(ct);
            audit.RecordSelf(session.AppId, session.UserId, AuditActions.SignOut, $"session={sessionId}");
            await db.SaveChangesAsync(ct);
        }
        return revoked;
    }

    /// <summary>Ends every live session of a user; answers how many ended.</summary>
    public async Task<int> RevokeAllAsync(Guid userId, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Sessions
            .Where(s => s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.RevokedReason, reason), ct);
    }

    /// <summary>The successor of a refresh token: HMAC of the token under a server key, so a retry gets the same one.</summary>
    internal static string Successor(ServerKeys keys, string refreshToken) =>
        Base64Url.Encode(HMACSHA256.HashData(keys.RefreshDerivation, System.Text.Encoding.UTF8.GetBytes(refreshToken)));
}

/// <summary>How a session starts: through the JSON API, or for an OpenID Connect client with rows saved alongside.</summary>
public sealed record SessionStart(string? ClientId, string? Scope, Action<Session>? AddAlongside)
{
    public static readonly SessionStart Api = new(null, null, null);
}
