using Latchkey.Server.Features.CustomRoles;
using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AppServerKeys;

/// <summary>Admin API for an app's server keys: the secret is shown once, at creation.</summary>
public static class AppServerKeyEndpoints
{
    public static RouteGroupBuilder MapAdminServerKeyEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/apps/{appId}/server-keys", CreateAsync).RequireAdminPermission(AdminPermissions.AppsWrite).WithSummary("Create an app server key; its secret is shown only now");
        admin.MapGet("/apps/{appId}/server-keys", ListAsync).RequireAdminPermission(AdminPermissions.AppsRead).WithSummary("List the app's server keys (without secrets)");
        admin.MapDelete("/apps/{appId}/server-keys/{keyId}", RevokeAsync).RequireAdminPermission(AdminPermissions.AppsWrite).WithSummary("Revoke an app server key at once");
        return admin;
    }

    [System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
    public sealed record CreateRequest
    {
        [MaxLength(100)] public string? Name { get; init; }
    }

    public sealed record CreatedKey(string Id, string Secret, string Name, DateTime CreatedAt);

    public sealed record KeyView(string Id, string Name, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt);

    internal static async Task<Created<CreatedKey>> CreateAsync(
        AdminCaller admin, string appId, CreateRequest? request, LatchkeyDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Apps.AnyAsync(a => a.Id == appId, ct))
        {
            throw Problems.AppNotFound(appId);
        }
        var secret = Secrets.NewToken();
        var key = new AppServerKey
        {
            Id = "sk_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)),
            AppId = appId,
            Name = string.IsNullOrWhiteSpace(request?.Name) ? "server key" : request.Name.Trim(),
            SecretHash = Secrets.Hash(secret),
            CreatedBy = admin.Caller.UserId,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.AppServerKeys.Add(key);
        audit.Record(admin, appId, AuditActions.ServerKeyCreate, null, $"key={key.Id}");
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/admin/apps/{appId}/server-keys/{key.Id}", new CreatedKey(key.Id, secret, key.Name, key.CreatedAt));
    }

    internal static async Task<Ok<List<KeyView>>> ListAsync(AdminCaller admin, string appId, LatchkeyDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.AppServerKeys.AsNoTracking()
            .Where(k => k.AppId == appId)
            .OrderBy(k => k.CreatedAt)
            .Select(k => new KeyView(k.Id, k.Name, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(ct));

    internal static async Task<NoContent> RevokeAsync(
        AdminCaller admin, string appId, string keyId, LatchkeyDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var revoked = await db.AppServerKeys
            .Where(k => k.Id == keyId && k.AppId == appId && k.RevokedAt == null)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, now), ct);
        if (revoked != 1)
        {
            throw Problems.NotFound("This app has no live server key with this id.");
        }
        audit.Record(admin, appId, AuditActions.ServerKeyRevoke, null, $"key={keyId}");
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
