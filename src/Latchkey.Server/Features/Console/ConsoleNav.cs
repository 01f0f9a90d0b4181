using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>Where an admin lands: super admins on the platform dashboard and apps list, others on the first page of their app they may open (its dashboard).</summary>
public static class ConsoleNav
{
    private static readonly (string Permission, string Path)[] Sections =
    [
        (AdminPermissions.AppsRead, "/dashboard"),
        (AdminPermissions.UsersRead, "/users"),
        (AdminPermissions.Invitations, "/users"),
        (AdminPermissions.RolesManage, "/roles"),
        (AdminPermissions.OutboxRead, "/outbox"),
        (AdminPermissions.AuditRead, "/audit"),
    ];

    public static string Home(AdminCaller admin)
    {
        if (admin.IsSuperAdmin)
        {
            return "/console";
        }
        var first = Sections.FirstOrDefault(s => admin.Can(s.Permission));
        // Note: an admin with only permissions the console has no page for still gets the settings page's 403, in words.
        return $"/console/apps/{admin.Caller.AppId}{first.Path}";
    }
}
