using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Tokens;

/// <summary>Admin API for an app's signing keys (MISSION T3): list them, rotate now, revoke a compromised one.</summary>
public static class SigningKeyEndpoints
{
    public static IServiceCollection AddSigningKeyRotation(this IServiceCollection services)
    {
        services.AddOptions<SigningKeyOptions>().BindConfiguration(SigningKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<KeyRotation>();
        services.AddScoped<KeyRevocation>();
        services.AddHostedService<ScheduledKeyRotation>();
        return services;
    }

    public static RouteGroupBuilder MapAdminSigningKeyEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/keys", ListAsync).RequireAdminPermission(AdminPermissions.AppsRead).WithSummary("The app's signing keys: next, active, retired (still in the JWKS), unpublished and revoked");
        admin.MapPost("/apps/{appId}/keys/rotate", RotateAsync).RequireAdminPermission(AdminPermissions.AppsWrite)
            .WithSummary("Rotate the app's signing key now")
            .WithDescription("The next key is published in the JWKS at once and signs after the publish delay " +
                "(Latchkey:SigningKeys:PublishDelaySeconds, 10 minutes by default); the current key then retires and stays " +
                "published until every token it signed has expired. immediate (query or body) makes the next key sign at once: " +
                "for emergencies, as resource servers with a cached JWKS may briefly not know it.");
        admin.MapPost("/apps/{appId}/keys/{keyId}/revoke", RevokeAsync).RequireAdminPermission(AdminPermissions.AppsWrite)
            .WithSummary("Revoke a compromised signing key: it leaves the JWKS at once and its tokens are refused")
            .WithDescription("Answers 204. Unlike a rotation, the key does not stay published for its tokens: every token it " +
                "signed is refused by the server's endpoints and inactive in introspection from now on. When the key signs " +
                "now (or is the next key of a rotation), a new key that signs at once replaces it first (as rotate?immediate=true). " +
                "Revoking a revoked key again answers 204 and changes nothing; an unknown key (or one of another app) answers 404 not_found.");
        return admin;
    }

    public static class States
    {
        public const string Next = "next";
        public const string Active = "active";
        public const string Retired = "retired";
        public const string Unpublished = "unpublished";
        public const string Revoked = "revoked";
    }

    /// <param name="UnpublishAt">When the key leaves the JWKS (every token it signed has expired by then, or it was revoked).</param>
    /// <param name="RevokedAt">When an admin revoked the key as compromised; its tokens are refused since.</param>
    public sealed record KeyView(
        string Kid, string Algorithm, string State, DateTime PublishedAt, DateTime ActiveFrom, DateTime? RetiredAt, DateTime? UnpublishAt, DateTime? RevokedAt);

    public sealed record RotateRequest
    {
        public bool? Immediate { get; init; }
    }

    public sealed record RotationView(KeyView Next, KeyView? Previous, IReadOnlyList<KeyView> Keys);

    internal static async Task<Ok<List<KeyView>>> ListAsync(
        AdminCaller admin, string appId, LatchkeyDbContext db, SigningKeys keys, TimeProvider clock, CancellationToken ct)
    {
        await EnsureAppAsync(db, appId, ct);
        return TypedResults.Ok(await ViewsAsync(db, keys, clock, appId, ct));
    }

    internal static async Task<Ok<RotationView>> RotateAsync(
        AdminCaller admin, string appId, bool? immediate, RotateRequest? request, LatchkeyDbContext db, SigningKeys keys, KeyRotation rotation,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        await EnsureAppAsync(db, appId, ct);
        var now = immediate ?? request?.Immediate ?? false;
        var previous = await keys.FindActiveAsync(appId, ct);
        var next = await rotation.RotateAsync(appId, now, ct);
        audit.Record(admin, appId, "keys.rotate", null, now ? $"next {next.Id}, immediate" : $"next {next.Id}");
        await db.SaveChangesAsync(ct);

        var views = await ViewsAsync(db, keys, clock, appId, ct);
        return TypedResults.Ok(new RotationView(
            views.Single(v => v.Kid == next.Id),
            previous is null ? null : views.FirstOrDefault(v => v.Kid == previous.Id),
            views));
    }

    internal static async Task<NoContent> RevokeAsync(
        AdminCaller admin, string appId, string keyId, LatchkeyDbContext db, KeyRevocation revocation, AuditLog audit, CancellationToken ct)
    {
        await EnsureAppAsync(db, appId, ct);
        var outcome = await revocation.RevokeAsync(appId, keyId, ct);
        if (outcome.Result == KeyRevocation.Result.NotFound)
        {
            throw Problems.NotFound($"App '{appId}' has no signing key '{keyId}'.");
        }
        if (outcome.Result == KeyRevocation.Result.Revoked)
        {
            audit.Record(admin, appId, "keys.revoke", null,
                outcome.Replacement is { } next ? $"key {keyId}, replaced by {next.Id}, immediate" : $"key {keyId}");
            await db.SaveChangesAsync(ct);
        }
        return TypedResults.NoContent();
    }

    private static async Task EnsureAppAsync(LatchkeyDbContext db, string appId, CancellationToken ct)
    {
        if (!await db.Apps.AnyAsync(a => a.Id == appId, ct))
        {
            throw Problems.AppNotFound(appId);
        }
    }

    private static async Task<List<KeyView>> ViewsAsync(LatchkeyDbContext db, SigningKeys keys, TimeProvider clock, string appId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var active = await keys.FindActiveAsync(appId, ct);
        var rows = await db.SigningKeys.AsNoTracking().Where(k => k.AppId == appId).ToListAsync(ct);
        return rows
            .OrderByDescending(k => k.PublishedAt).ThenByDescending(k => k.ActiveFrom)
            .Select(k =>
            {
                var unpublishAt = k.RetiredAt + SigningKeys.LongestAccessTokenLifetime;
                if (k.RevokedAt is { } revokedAt && !(unpublishAt <= revokedAt))
                {
                    unpublishAt = revokedAt;
                }
                var state = k.RevokedAt is not null ? States.Revoked
                    : k.Id == active?.Id ? States.Active
                    : unpublishAt <= now ? States.Unpublished
                    : k.ActiveFrom > now && !(k.RetiredAt <= k.ActiveFrom) ? States.Next
                    : States.Retired;
                return new KeyView(k.Id, k.Algorithm, state, k.PublishedAt, k.ActiveFrom, k.RetiredAt, unpublishAt, k.RevokedAt);
            })
            .ToList();
    }
}
