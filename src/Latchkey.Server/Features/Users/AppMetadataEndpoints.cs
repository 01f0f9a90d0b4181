using System.Text.Json.Nodes;
using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// The app's back end grants a user something (a tier after a purchase, a coupon): it writes the
/// user's appMetadata with an app server key, as admins do through the admin API. The user reads
/// it on /me and in token answers and cannot change it.
/// </summary>
public static class AppMetadataEndpoints
{
    public static RouteGroupBuilder MapAppMetadataEndpoints(this RouteGroupBuilder app)
    {
        app.MapPut("/users/{userId:guid}/app-metadata", PutAsync).Accepts(ApiCredential.ServerKey)
            .WithSummary("Replace a user's appMetadata (app server key, HTTP Basic)")
            .WithDescription("The body is the whole new appMetadata object (≤ 16 KiB; {} empties it).");
        return app;
    }

    public sealed record AppMetadataView(Guid UserId, JsonObject AppMetadata);

    internal static async Task<Ok<AppMetadataView>> PutAsync(
        CurrentApp app, Guid userId, JsonObject appMetadata, HttpContext http, LatchkeyDbContext db, UserKeyring keyring, AuditLog audit,
        TimeProvider clock, CancellationToken ct)
    {
        if (!AppServerKeyAuthentication.HasBasic(http.Request))
        {
            throw Problems.Unauthorized("Writing appMetadata needs an app server key over HTTP Basic (key id : secret); admins use the admin API.");
        }
        var serverKey = await AppServerKeyAuthentication.AuthenticateAsync(http.Request, app.Id, db, clock, ct);
        JsonLimits.EnsureSmallObject(appMetadata, "appMetadata");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId && u.AppId == app.Id, ct)
            ?? throw Problems.NotFound("This app has no user with this id.");
        var key = await keyring.FindAsync(user.Id, ct) ?? throw Problems.NotFound("This app has no user with this id.");
        var granted = (JsonObject)appMetadata.DeepClone();
        UserProfiles.Write(user, key, UserProfiles.Read(user, key) with { AppMetadata = granted });
        user.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        audit.RecordBy(app.Id, null, app.Id, "user.update", user.Id, $"appMetadata; by=server-key:{serverKey.Id}");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new AppMetadataView(user.Id, granted));
    }
}
