using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Auth;

/// <summary>
/// Works out what a signed-in caller may do in the admin API and console. Read from the
/// database on every admin request (the role and custom roles as they are now), so a demoted
/// admin loses access at once, not when their access token expires.
/// </summary>
public sealed class AdminAccess(RoleGrants grants, AuditLog audit)
{
    public async Task<AdminCaller> ResolveAsync(Caller caller, CancellationToken ct)
    {
        var admin = await ResolveGrantsAsync(caller, ct);
        // The request's actor for services that record on its behalf (AuditLog.RecordByActingAdmin).
        audit.ActingAdmin = admin;
        return admin;
    }

    private async Task<AdminCaller> ResolveGrantsAsync(Caller caller, CancellationToken ct)
    {
        if (caller.IsSuperAdmin)
        {
            return new AdminCaller(caller, new HashSet<string>([.. AdminPermissions.All, AdminPermissions.Platform]));
        }
        if (caller.Role == Roles.Admin)
        {
            return new AdminCaller(caller, new HashSet<string>(AdminPermissions.All));
        }
        var granted = (await grants.ForUserAsync(caller.AppId, caller.UserId, ct)).HeldAdminPermissions.ToHashSet(StringComparer.Ordinal);
        if (granted.Count == 0)
        {
            throw Problems.Forbidden("The admin API is for super admins, app admins and roles with admin permissions.");
        }
        return new AdminCaller(caller, granted);
    }
}
