using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.CustomRoles;

/// <summary>
/// What a user's custom roles grant them now: the role names and the union of their
/// permissions, read in one query on the assignment's key (user id first) joined to the role's.
/// Access tokens, introspection, invitations and the MFA policy ask here.
/// </summary>
public sealed class RoleGrants(LatchkeyDbContext db)
{
    /// <summary>A user's custom roles and the permissions they add up to, both in ordinal order.</summary>
    public sealed record Granted(IReadOnlyList<string> Roles, IReadOnlyList<string> Permissions)
    {
        public static Granted None { get; } = new([], []);

        public bool Any => Roles.Count > 0;

        /// <summary>The granted permissions that open parts of the admin API.</summary>
        public IEnumerable<string> HeldAdminPermissions => Permissions.Where(AdminPermissions.IsAdminPermission);
    }

    public async Task<Granted> ForUserAsync(string appId, Guid userId, CancellationToken ct)
    {
        // Note: the tenant filter is ignored on purpose: the caller names the app, and the console's
        // super admin may be asking about a user of any app.
        var rows = await (from assignment in db.UserRoles.IgnoreQueryFilters().AsNoTracking()
                          join role in db.AppRoles.IgnoreQueryFilters().AsNoTracking()
                              on new { assignment.AppId, Name = assignment.RoleName } equals new { role.AppId, role.Name }
                          where assignment.UserId == userId && assignment.AppId == appId
                          select new { role.Name, role.Permissions })
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            return Granted.None;
        }
        return new Granted(
            rows.Select(r => r.Name).Order(StringComparer.Ordinal).ToList(),
            rows.SelectMany(r => r.Permissions).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>Whether any of the user's custom roles opens part of the admin API (they count as an admin for MFA and invitations).</summary>
    public async Task<bool> HoldsAdminPermissionsAsync(string appId, Guid userId, CancellationToken ct) =>
        (await ForUserAsync(appId, userId, ct)).HeldAdminPermissions.Any();

    /// <summary>
    /// Refuses (403) a caller who would change or erase a user more powerful than themselves: a
    /// support desk that resets an app admin's password could sign in as them. Only super admins
    /// act on super admins, only holders of every admin permission on app admins, and a user
    /// whose roles grant admin permissions needs a caller who holds those too.
    /// </summary>
    public async Task EnsureMayManageUserAsync(AdminCaller admin, string appId, Guid userId, CancellationToken ct)
    {
        if (admin.IsSuperAdmin)
        {
            return;
        }
        var role = await db.Users.IgnoreQueryFilters().AsNoTracking()
            .Where(u => u.Id == userId && u.AppId == appId).Select(u => u.Role).FirstOrDefaultAsync(ct);
        if (role == Roles.SuperAdmin)
        {
            throw Problems.Forbidden("Only super admins change super admins.");
        }
        if (RoleRules.HoldsAllAdminPermissions(admin))
        {
            return;
        }
        if (role == Roles.Admin)
        {
            throw Problems.Forbidden("Only app admins and super admins change app admins.");
        }
        RoleRules.EnsureCallerHolds(admin, (await ForUserAsync(appId, userId, ct)).HeldAdminPermissions, "This user's roles");
    }

    /// <summary>Whether the user's custom roles grant <paramref name="permission"/>.</summary>
    public async Task<bool> HoldsAsync(string appId, Guid userId, string permission, CancellationToken ct) =>
        (await ForUserAsync(appId, userId, ct)).Permissions.Contains(permission, StringComparer.Ordinal);
}
