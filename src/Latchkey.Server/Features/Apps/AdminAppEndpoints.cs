using Latchkey.Server.Features.CustomRoles;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Apps;

/// <summary>Admin API for apps: super admins manage all; an app admin reads and changes their own.</summary>
public static class AdminAppEndpoints
{
    public static RouteGroupBuilder MapAdminAppEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/apps", CreateAsync).RequireAdminPermission(AdminPermissions.Platform).WithSummary("Create an app (super admin)");
        admin.MapGet("/apps", ListAsync).RequireAdminPermission(AdminPermissions.AnyAdmin).WithSummary("List the apps the caller manages");
        admin.MapGet("/apps/{appId}", GetAsync).RequireAdminPermission(AdminPermissions.AppsRead).WithSummary("Read an app and its settings");
        admin.MapPatch("/apps/{appId}", UpdateAsync).RequireAdminPermission(AdminPermissions.AppsWrite).WithSummary("Change an app's name or any subset of its settings");
        admin.MapDelete("/apps/{appId}", DeleteAsync).RequireAdminPermission(AdminPermissions.Platform).WithSummary("Delete an app, its users and their data (super admin)");
        return admin;
    }

    public sealed record CreateAppRequest
    {
        [MaxLength(AppIds.MaxLength)] public string? Id { get; init; }
        [Required, MaxLength(200)] public string Name { get; init; } = "";
        public JsonObject? Settings { get; init; }
    }

    public sealed record UpdateAppRequest
    {
        [MaxLength(200)] public string? Name { get; init; }
        public JsonObject? Settings { get; init; }
    }

    public sealed record AppView(string Id, string Name, AppSettings Settings, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public static AppView From(App app) => new(app.Id, app.Name, app.Settings, app.CreatedAt, app.UpdatedAt);
    }

    internal static async Task<Created<AppView>> CreateAsync(AdminCaller admin, CreateAppRequest request, AppService apps, CancellationToken ct)
    {
        admin.EnsureSuperAdmin();
        var app = await apps.CreateAsync(request.Id, request.Name, request.Settings, ct);
        return TypedResults.Created($"/v1/admin/apps/{app.Id}", AppView.From(app));
    }

    internal static async Task<Ok<List<AppView>>> ListAsync(AdminCaller admin, LatchkeyDbContext db, CancellationToken ct)
    {
        var query = db.Apps.AsNoTracking();
        if (!admin.IsSuperAdmin)
        {
            query = query.Where(a => a.Id == admin.Caller.AppId);
        }
        var apps = await query.OrderBy(a => a.Id).ToListAsync(ct);
        return TypedResults.Ok(apps.Select(AppView.From).ToList());
    }

    internal static async Task<Ok<AppView>> GetAsync(AdminCaller admin, string appId, LatchkeyDbContext db, CancellationToken ct)
    {
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct) ?? throw Problems.AppNotFound(appId);
        return TypedResults.Ok(AppView.From(app));
    }

    internal static async Task<Ok<AppView>> UpdateAsync(AdminCaller admin, string appId, UpdateAppRequest request, AppService apps, CancellationToken ct) =>
        TypedResults.Ok(AppView.From(await apps.UpdateAsync(appId, request.Name, request.Settings, ct)));

    internal static async Task<NoContent> DeleteAsync(AdminCaller admin, string appId, AppService apps, CancellationToken ct)
    {
        admin.EnsureSuperAdmin();
        await apps.DeleteAsync(appId, ct);
        return TypedResults.NoContent();
    }
}
