using System.Text.Json;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Sessions;

/// <summary>
/// Admin API for one user's sessions (MISSION U3): the devices they are signed in on, and ending
/// one of them. Ending all is <c>POST /users/{userId}/sessions/revoke</c>.
/// </summary>
public static class AdminSessionEndpoints
{
    public const string SessionsRead = "user.sessions.read";
    public const string SessionRevoke = "user.session.revoke";

    public static RouteGroupBuilder MapAdminSessionEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/users/{userId:guid}/sessions", ListAsync).RequireAdminPermission(AdminPermissions.UsersRead)
            .WithSummary("A user's live sessions, with their devices, newest use first");
        admin.MapDelete("/apps/{appId}/users/{userId:guid}/sessions/{sessionId:guid}", RevokeAsync).RequireAdminPermission(AdminPermissions.UsersWrite)
            .WithSummary("End one of a user's sessions; its refresh token is dead at once");
        return admin;
    }

    public sealed record AdminSessionView(Guid Id, Device? Device, DateTime CreatedAt, DateTime LastSeenAt, DateTime ExpiresAt);

    internal static async Task<Ok<List<AdminSessionView>>> ListAsync(
        AdminCaller admin, string appId, Guid userId, LatchkeyDbContext db, UserKeyring keyring, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.AppId == appId, ct))
        {
            throw Problems.NotFound("This app has no user with this id.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.AppId == appId && s.RevokedAt == null && s.ExpiresAt > now)
            .OrderByDescending(s => s.LastSeenAt)
            .ToListAsync(ct);
        var key = await keyring.FindAsync(userId, ct);
        var views = rows
            .Select(s => new AdminSessionView(
                s.Id,
                key?.Decrypt("device", s.DeviceSealed) is { } device ? JsonSerializer.Deserialize<Device>(device, JsonSerializerOptions.Web) : null,
                s.CreatedAt, s.LastSeenAt, s.ExpiresAt))
            .ToList();
        // P5: devices are personal data, so reading them is on the trail (the count, not the devices).
        audit.Record(admin, appId, SessionsRead, userId, $"sessions={views.Count}");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(views);
    }

    internal static async Task<NoContent> RevokeAsync(
        AdminCaller admin, string appId, Guid userId, Guid sessionId, LatchkeyDbContext db, SessionService sessions, AuditLog audit,
        RoleGrants grants, CancellationToken ct)
    {
        await grants.EnsureMayManageUserAsync(admin, appId, userId, ct);
        var live = await db.Sessions.AnyAsync(s => s.Id == sessionId && s.UserId == userId && s.AppId == appId && s.RevokedAt == null, ct);
        if (!live || !await sessions.RevokeAsync(sessionId, RevokeReasons.Admin, ct))
        {
            throw Problems.NotFound("This user has no live session with this id.");
        }
        audit.Record(admin, appId, SessionRevoke, userId, $"session={sessionId}");
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
