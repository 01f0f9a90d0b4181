using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.CustomRoles;

/// <summary>
/// Admin API for an app's custom roles (MISSION U1): define them with their permissions, read
/// them with how many users hold them, delete them (their assignments go with them).
/// </summary>
public static class RoleEndpoints
{
    public static RouteGroupBuilder MapAdminRoleEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/roles", ListAsync).RequireAdminPermission(AdminPermissions.RolesManage)
            .WithSummary("The app's custom roles, with their permissions and how many users hold each");
        admin.MapGet("/apps/{appId}/roles/{name}", GetAsync).RequireAdminPermission(AdminPermissions.RolesManage).WithSummary("Read one custom role");
        admin.MapPut("/apps/{appId}/roles/{name}", PutAsync).RequireAdminPermission(AdminPermissions.RolesManage)
            .WithSummary("Create (201) or replace (200) a custom role")
            .WithDescription("Permissions are the app's own strings (e.g. orders:read), which its backend reads from the access token's "
                + "permissions claim, or admin permissions (admin:users.read, …), which open parts of the admin API. "
                + "A caller may put in only the admin permissions they hold themselves.");
        admin.MapDelete("/apps/{appId}/roles/{name}", DeleteAsync).RequireAdminPermission(AdminPermissions.RolesManage)
            .WithSummary("Delete a custom role; its holders lose it at once");
        admin.MapPut("/apps/{appId}/users/{userId:guid}/roles", UserRoleEndpoints.ReplaceAsync).RequireAdminPermission(AdminPermissions.RolesManage)
            .WithSummary("Replace a user's custom roles");
        return admin;
    }

    public sealed record RoleRequest
    {
        [MaxLength(500)] public string? Description { get; init; }
        public List<string?>? Permissions { get; init; }
    }

    public sealed record RoleView(string Name, string? Description, IReadOnlyList<string> Permissions, int Users, DateTime CreatedAt, DateTime UpdatedAt)
    {
        // Note: SQLite gives times back without their kind; they are UTC, and say so in JSON.
        public static RoleView From(AppRole role, int users) =>
            new(role.Name, role.Description, role.Permissions, users, Utc(role.CreatedAt), Utc(role.UpdatedAt));

        private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
    }

    internal static async Task<Ok<List<RoleView>>> ListAsync(AdminCaller admin, string appId, LatchkeyDbContext db, CancellationToken ct)
    {
        await EnsureAppAsync(db, appId, ct);
        var roles = await db.AppRoles.IgnoreQueryFilters().AsNoTracking().Where(r => r.AppId == appId).OrderBy(r => r.Name).ToListAsync(ct);
        var holders = await db.UserRoles.IgnoreQueryFilters().Where(r => r.AppId == appId)
            .GroupBy(r => r.RoleName).Select(g => new { Name = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Name, g => g.Count, ct);
        return TypedResults.Ok(roles.Select(r => RoleView.From(r, holders.GetValueOrDefault(r.Name))).ToList());
    }

    internal static async Task<Ok<RoleView>> GetAsync(AdminCaller admin, string appId, string name, LatchkeyDbContext db, CancellationToken ct)
    {
        var role = await FindAsync(db, appId, name, ct) ?? throw RoleNotFound(name);
        return TypedResults.Ok(RoleView.From(role, await HoldersAsync(db, appId, name, ct)));
    }

    internal static async Task<Results<Ok<RoleView>, Created<RoleView>>> PutAsync(
        AdminCaller admin, string appId, string name, RoleRequest request, LatchkeyDbContext db, AuditLog audit, TimeProvider clock,
        CancellationToken ct)
    {
        RoleRules.CheckName(name);
        var permissions = RoleRules.CheckPermissions(request.Permissions);
        var description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim();
        RoleRules.EnsureCallerHolds(admin, permissions, "This role");
        await EnsureAppAsync(db, appId, ct);
        bool created;
        AppRole role;
        try
        {
            (role, created) = await SaveAsync(admin, db, audit, clock, appId, name, description, permissions, ct);
        }
        catch (DbUpdateException)
        {
            // Another admin created the same role in the same instant (same key): this request replaces theirs.
            db.ChangeTracker.Clear();
            (role, created) = await SaveAsync(admin, db, audit, clock, appId, name, description, permissions, ct);
        }
        var view = RoleView.From(role, created ? 0 : await HoldersAsync(db, appId, name, ct));
        return created
            ? TypedResults.Created($"/v1/admin/apps/{appId}/roles/{name}", view)
            : TypedResults.Ok(view);
    }

    private static async Task<(AppRole Role, bool Created)> SaveAsync(
        AdminCaller admin, LatchkeyDbContext db, AuditLog audit, TimeProvider clock, string appId, string name, string? description,
        List<string> permissions, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // Note: PostgreSQL keeps microseconds: the answer now shows the time a later read will.
        now = new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);
        var role = await FindAsync(db, appId, name, ct, tracked: true);
        var created = role is null;
        if (role is null)
        {
            role = new AppRole { AppId = appId, Name = name, CreatedAt = now };
            db.AppRoles.Add(role);
        }
        else
        {
            // Taking admin permissions away from a role's holders is escalation's mirror: not for a caller without them.
            RoleRules.EnsureCallerHolds(admin, role.Permissions, "This role");
        }
        role.Description = description;
        role.Permissions = permissions;
        role.UpdatedAt = now;
        audit.Record(admin, appId, "role.save", null, RoleRules.AuditDetail($"{name}: {string.Join(",", permissions)}"));
        await db.SaveChangesAsync(ct);
        return (role, created);
    }

    internal static async Task<NoContent> DeleteAsync(
        AdminCaller admin, string appId, string name, LatchkeyDbContext db, AuditLog audit, CancellationToken ct)
    {
        var role = await FindAsync(db, appId, name, ct, tracked: true) ?? throw RoleNotFound(name);
        RoleRules.EnsureCallerHolds(admin, role.Permissions, "This role");
        // Note: the assignments go by the foreign key's cascade, in the same statement as the role.
        db.AppRoles.Remove(role);
        audit.Record(admin, appId, "role.delete", null, name);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static Task<AppRole?> FindAsync(LatchkeyDbContext db, string appId, string name, CancellationToken ct, bool tracked = false)
    {
        var roles = db.AppRoles.IgnoreQueryFilters();
        return (tracked ? roles : roles.AsNoTracking()).FirstOrDefaultAsync(r => r.AppId == appId && r.Name == name, ct);
    }

    private static Task<int> HoldersAsync(LatchkeyDbContext db, string appId, string name, CancellationToken ct) =>
        db.UserRoles.IgnoreQueryFilters().CountAsync(r => r.AppId == appId && r.RoleName == name, ct);

    internal static async Task EnsureAppAsync(LatchkeyDbContext db, string appId, CancellationToken ct)
    {
        if (!await db.Apps.AnyAsync(a => a.Id == appId, ct))
        {
            throw Problems.AppNotFound(appId);
        }
    }

    private static ProblemException RoleNotFound(string name) => Problems.NotFound($"This app has no custom role '{name}'.");
}
