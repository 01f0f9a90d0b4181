using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.CustomRoles;

/// <summary>
/// Gives users their custom roles. The caller must hold every admin permission of a role they
/// give or take away; the admin API reads roles from the database on each request, so a change
/// counts at once there and in the next access token.
/// </summary>
public sealed class RoleAssignments(LatchkeyDbContext db, AuditLog audit, TimeProvider clock)
{
    /// <summary>
    /// Stages the replacement of <paramref name="userId"/>'s custom roles in the caller's unit of
    /// work (audited as <c>user.roles</c>); the caller saves. Answers the role names the user will hold.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReplaceAsync(
        AdminCaller admin, string appId, Guid userId, IReadOnlyList<string?>? requested, CancellationToken ct)
    {
        admin.EnsureCan(AdminPermissions.RolesManage);
        if (requested is null)
        {
            throw Problems.InvalidField("roles", "Give the user's custom roles (an array of role names, possibly empty).");
        }
        if (requested.Any(r => r is null))
        {
            throw Problems.InvalidField("roles", "A role name is a string.");
        }
        var wanted = requested.Select(r => r!).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count > RoleRules.MaxRolesPerUser)
        {
            throw Problems.InvalidField("roles", $"A user holds at most {RoleRules.MaxRolesPerUser} custom roles.");
        }
        var defined = await db.AppRoles.IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.AppId == appId && wanted.Contains(r.Name))
            .ToDictionaryAsync(r => r.Name, StringComparer.Ordinal, ct);
        var unknown = wanted.Where(name => !defined.ContainsKey(name)).ToList();
        if (unknown.Count > 0)
        {
            throw Problems.InvalidField("roles", $"This app has no custom role {string.Join(", ", unknown.Select(n => $"'{n}'"))}.");
        }

        var held = await db.UserRoles.IgnoreQueryFilters().Where(r => r.UserId == userId && r.AppId == appId).ToListAsync(ct);
        var added = wanted.Where(name => held.All(h => h.RoleName != name)).ToList();
        var removed = held.Where(h => !wanted.Contains(h.RoleName, StringComparer.Ordinal)).ToList();
        foreach (var name in added)
        {
            RoleRules.EnsureCallerHolds(admin, defined[name].Permissions, $"The role '{name}'");
        }
        if (removed.Count > 0)
        {
            var removedNames = removed.Select(r => r.RoleName).ToList();
            var removedRoles = await db.AppRoles.IgnoreQueryFilters().AsNoTracking()
                .Where(r => r.AppId == appId && removedNames.Contains(r.Name)).ToListAsync(ct);
            foreach (var role in removedRoles)
            {
                RoleRules.EnsureCallerHolds(admin, role.Permissions, $"The role '{role.Name}'");
            }
        }

        var now = clock.GetUtcNow().UtcDateTime;
        db.UserRoles.RemoveRange(removed);
        db.UserRoles.AddRange(added.Select(name => new UserRole { UserId = userId, AppId = appId, RoleName = name, AssignedAt = now }));
        if (added.Count > 0 || removed.Count > 0)
        {
            audit.Record(admin, appId, "user.roles", userId, RoleRules.AuditDetail(string.Join(",", wanted.Order(StringComparer.Ordinal))));
        }
        return wanted.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The custom role names a user holds, in ordinal order.</summary>
    /// <summary>The custom role names of several users of one app, in one query (users without roles are absent).</summary>
    public static async Task<Dictionary<Guid, IReadOnlyList<string>>> NamesAsync(LatchkeyDbContext db, string appId, IReadOnlyCollection<Guid> userIds, CancellationToken ct) =>
        (await db.UserRoles.IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.AppId == appId && userIds.Contains(r.UserId))
            .Select(r => new { r.UserId, r.RoleName }).ToListAsync(ct))
        .GroupBy(r => r.UserId)
        .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.RoleName).Order(StringComparer.Ordinal).ToList());

    public static async Task<IReadOnlyList<string>> NamesAsync(LatchkeyDbContext db, string appId, Guid userId, CancellationToken ct) =>
        (await db.UserRoles.IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.UserId == userId && r.AppId == appId)
            .Select(r => r.RoleName).ToListAsync(ct))
        .Order(StringComparer.Ordinal).ToList();
}
