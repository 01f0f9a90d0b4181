using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Introspection;

/// <summary>
/// What the app's own servers may ask about a token (RFC 7662) and how they end one (RFC 7009).
/// Access tokens are JWTs and refresh tokens opaque, so the token itself says which kind it is;
/// <c>token_type_hint</c> is accepted and not needed.
/// </summary>
public sealed class TokenIntrospection(
    LatchkeyDbContext db,
    AccessTokenValidator accessTokens,
    SessionService sessions,
    Issuers issuers,
    RoleGrants roleGrants,
    OidcClients.OidcClientCache clients,
    TimeProvider clock,
    ILogger<TokenIntrospection> logger)
{
    /// <summary>Session revoke reason when an app server revoked one of its tokens.</summary>
    public const string RevokedByAppServer = "app_server";
    /// <summary>Session revoke reason when the OpenID Connect client it was started for revoked one of its tokens.</summary>
    public const string RevokedByClient = "client";

    public const string AccessTokenUsage = "access_token";
    public const string RefreshTokenUsage = "refresh_token";

    public static Dictionary<string, object> Inactive => new() { ["active"] = false };

    public async Task<Dictionary<string, object>> IntrospectAsync(App app, string token, CancellationToken ct)
    {
        if (!LooksLikeJwt(token))
        {
            return await IntrospectRefreshTokenAsync(app, token, ct) ?? Inactive;
        }
        var check = await accessTokens.CheckAsync(token, ct);
        return (check.ClientToken is { } client
            ? await IntrospectClientTokenAsync(app, client, ct)
            : await IntrospectAccessTokenAsync(app, check.Token, ct)) ?? Inactive;
    }

    /// <summary>
    /// Ends the session (the refresh-token family) a token belongs to. An access token ends its
    /// session too, even when it has expired: its signature proves which session it was, and the
    /// caller is authenticated. A client (<paramref name="onlyClientId"/>) ends only the sessions
    /// started for it. Unknown and foreign tokens change nothing (RFC 7009); false for a
    /// <c>client_credentials</c> token, which cannot be revoked.
    /// </summary>
    public async Task<bool> RevokeAsync(App app, string token, string? onlyClientId, CancellationToken ct)
    {
        Guid? sessionId = null;
        if (LooksLikeJwt(token))
        {
            var check = await accessTokens.CheckAsync(token, ct);
            if (check.Token is { } valid && valid.AppId == app.Id)
            {
                sessionId = valid.SessionId;
            }
            else if (check.ClientToken is { } client && client.AppId == app.Id)
            {
                return false;
            }
        }
        else if (Secrets.TryDecode(token, 32, out _))
        {
            var hash = Secrets.Hash(token);
            sessionId = await db.RefreshTokens.AsNoTracking()
                .Where(t => t.TokenHash == hash && t.AppId == app.Id)
                .Select(t => (Guid?)t.SessionId)
                .FirstOrDefaultAsync(ct);
        }
        if (sessionId is { } id && onlyClientId is not null
            && !await db.Sessions.AsNoTracking().AnyAsync(s => s.Id == id && s.AppId == app.Id && s.ClientId == onlyClientId, ct))
        {
            // RFC 7009 §2.1: a client's credentials revoke only the tokens issued to it; another's are left alone.
            sessionId = null;
        }
        if (sessionId is { } revoked && await sessions.RevokeAsync(revoked, onlyClientId is null ? RevokedByAppServer : RevokedByClient, ct))
        {
            logger.LogInformation("{Caller} of app {AppId} revoked session {SessionId}", onlyClientId is null ? "An app server" : "A client", app.Id, revoked);
        }
        return true;
    }

    /// <summary>A <c>client_credentials</c> token of this app whose client still exists.</summary>
    private async Task<Dictionary<string, object>?> IntrospectClientTokenAsync(App app, ValidatedClientToken valid, CancellationToken ct)
    {
        if (valid.Expired || valid.AppId != app.Id || await clients.FindAsync(app.Id, valid.ClientId, db, ct) is null)
        {
            return null;
        }
        var answer = new Dictionary<string, object>
        {
            ["active"] = true,
            ["sub"] = valid.ClientId,
            ["client_id"] = valid.ClientId,
            ["aud"] = app.Id,
            ["iss"] = valid.Jwt.Issuer,
            ["exp"] = Unix(valid.Jwt.ValidTo),
            ["iat"] = Unix(valid.Jwt.IssuedAt),
            ["token_type"] = "Bearer",
            ["token_usage"] = AccessTokenUsage,
        };
        if (valid.Scope is { Length: > 0 } scope)
        {
            answer["scope"] = scope;
        }
        if (valid.Jwt.Id is { Length: > 0 } jti)
        {
            answer["jti"] = jti;
        }
        return answer;
    }

    private async Task<Dictionary<string, object>?> IntrospectAccessTokenAsync(App app, ValidatedAccessToken? valid, CancellationToken ct)
    {
        if (valid is null || valid.Expired || valid.AppId != app.Id)
        {
            return null;
        }
        var live = await LiveSessionAsync(app, valid.SessionId, valid.UserId, ct);
        if (live is null)
        {
            return null;
        }
        var answer = new Dictionary<string, object>
        {
            ["active"] = true,
            ["sub"] = valid.UserId.ToString(),
            ["sid"] = valid.SessionId.ToString(),
            ["aud"] = app.Id,
            ["iss"] = valid.Jwt.Issuer,
            ["exp"] = Unix(valid.Jwt.ValidTo),
            ["iat"] = Unix(valid.Jwt.IssuedAt),
            ["client_id"] = live.Value.ClientId ?? app.Id,
            // RFC 7662 names the token's type as RFC 6749 does; token_usage (OpenIddict's name) says which token it is.
            ["token_type"] = "Bearer",
            ["token_usage"] = AccessTokenUsage,
        };
        // Note: the role and plan now, as the server's own endpoints see them, not when the token was made.
        AddLive(answer, live.Value);
        if (valid.Jwt.Id is { Length: > 0 } jti)
        {
            answer["jti"] = jti;
        }
        await AddRolesAsync(answer, app, valid.UserId, ct);
        return answer;
    }

    private async Task<Dictionary<string, object>?> IntrospectRefreshTokenAsync(App app, string token, CancellationToken ct)
    {
        if (!Secrets.TryDecode(token, 32, out _))
        {
            return null;
        }
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow().UtcDateTime;
        var row = await db.RefreshTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash && t.AppId == app.Id)
            .Join(db.Sessions.AsNoTracking(), t => t.SessionId, s => s.Id, (t, s) => new { Token = t, s.UserId })
            .FirstOrDefaultAsync(ct);
        // A used token is spent even though a retry within the reuse interval still answers its successor.
        if (row is null || row.Token.UsedAt is not null || row.Token.ExpiresAt <= now)
        {
            return null;
        }
        var live = await LiveSessionAsync(app, row.Token.SessionId, row.UserId, ct);
        if (live is null)
        {
            return null;
        }
        var answer = new Dictionary<string, object>
        {
            ["active"] = true,
            ["sub"] = row.UserId.ToString(),
            ["sid"] = row.Token.SessionId.ToString(),
            ["aud"] = app.Id,
            ["iss"] = issuers.For(app.Id),
            ["exp"] = Unix(row.Token.ExpiresAt),
            ["iat"] = Unix(row.Token.CreatedAt),
            ["client_id"] = live.Value.ClientId ?? app.Id,
            ["token_usage"] = RefreshTokenUsage,
        };
        AddLive(answer, live.Value);
        await AddRolesAsync(answer, app, row.UserId, ct);
        return answer;
    }

    /// <summary>The user's custom roles and permissions now, as the access token names them (when they hold any).</summary>
    private async Task AddRolesAsync(Dictionary<string, object> answer, App app, Guid userId, CancellationToken ct)
    {
        var granted = await roleGrants.ForUserAsync(app.Id, userId, ct);
        if (granted.Any)
        {
            answer[LatchkeyClaims.Roles] = granted.Roles;
            answer[LatchkeyClaims.Permissions] = granted.Permissions;
        }
    }

    /// <summary>The user's role and effective plan, and when that plan ends (<c>plan_exp</c>, as in the access token).</summary>
    private static void AddLive(Dictionary<string, object> answer, LiveSession live)
    {
        if (live.Scope is { Length: > 0 } scope)
        {
            answer["scope"] = scope;
        }
        answer["role"] = live.Role;
        answer["plan"] = live.Plan;
        if (live.PlanEnds is { } ends)
        {
            answer[LatchkeyClaims.PlanExpires] = Unix(ends);
        }
    }

    /// <summary>What a live session says now: the user's role and plan, and the client and scopes it was started for (X1).</summary>
    private readonly record struct LiveSession(string Role, string Plan, DateTime? PlanEnds, string? ClientId, string? Scope);

    private async Task<LiveSession?> LiveSessionAsync(App app, Guid sessionId, Guid userId, CancellationToken ct)
    {
        var live = await (
                from s in db.Sessions.AsNoTracking()
                join u in db.Users.AsNoTracking() on s.UserId equals u.Id
                where s.Id == sessionId && s.UserId == userId && s.AppId == app.Id && s.RevokedAt == null && !u.Disabled
                select new { u.Role, u.Plan, u.PlanExpiresAt, s.ClientId, s.Scope })
            .FirstOrDefaultAsync(ct);
        if (live is null)
        {
            return null;
        }
        var now = clock.GetUtcNow().UtcDateTime;
        return new LiveSession(live.Role, Plans.PlanRules.Effective(live.Plan, live.PlanExpiresAt, now),
            Plans.PlanRules.EffectiveExpiry(live.Plan, live.PlanExpiresAt, now), live.ClientId, live.Scope);
    }

    private static bool LooksLikeJwt(string token) => token.Count(c => c == '.') == 2;

    private static long Unix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();
}
