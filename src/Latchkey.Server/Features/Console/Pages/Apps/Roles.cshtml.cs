using Latchkey.Server.Features.CustomRoles;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>An app's custom roles: their permissions (admin permissions and the app's own), create, edit, delete.</summary>
public sealed class RolesModel : ConsolePageModel
{
    [FromRoute] public string AppId { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? Edit { get; set; }
    [BindProperty(SupportsGet = true)] public string? Delete { get; set; }
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public List<string> AdminPermissionsGranted { get; set; } = [];
    [BindProperty] public string? OtherPermissions { get; set; }

    public IReadOnlyList<RoleEndpoints.RoleView> Roles { get; private set; } = [];

    public async Task OnGetAsync()
    {
        Require(AppId, AdminPermissions.RolesManage);
        await LoadAsync();
        if (Roles.FirstOrDefault(r => r.Name == Edit) is { } editing)
        {
            Name = editing.Name;
            Description = editing.Description;
            AdminPermissionsGranted = editing.Permissions.Where(p => p.StartsWith(AdminPermissions.Prefix, StringComparison.Ordinal)).ToList();
            OtherPermissions = string.Join("\n", editing.Permissions.Where(p => !p.StartsWith(AdminPermissions.Prefix, StringComparison.Ordinal)));
        }
        else
        {
            Edit = null;
        }
        if (Roles.All(r => r.Name != Delete))
        {
            Delete = null;
        }
    }

    public async Task<IActionResult> OnPostSaveAsync()
    {
        Require(AppId, AdminPermissions.RolesManage);
        var name = Blank(Name)?.ToLowerInvariant() ?? "";
        var permissions = AdminPermissionsGranted
            .Concat((OtherPermissions ?? "").Split('\n').Select(p => p.Trim()).Where(p => p.Length > 0))
            .Select(p => (string?)p).ToList();
        var request = new RoleEndpoints.RoleRequest { Description = Blank(Description), Permissions = permissions };
        if (await TryAsync(async () =>
            {
                if (name.Length == 0)
                {
                    throw Infrastructure.Problems.Problems.InvalidField("name", "Enter the role's name.");
                }
                Validate(request);
                await Api.SaveRoleAsync(Admin, AppId, name, request, Ct);
            }))
        {
            return Redirect($"/console/apps/{AppId}/roles?done=saved");
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string name)
    {
        Require(AppId, AdminPermissions.RolesManage);
        await Api.DeleteRoleAsync(Admin, AppId, name, Ct);
        return Redirect($"/console/apps/{AppId}/roles?done=deleted");
    }

    private async Task LoadAsync()
    {
        await CurrentAppAsync(AppId);
        Roles = await Api.RolesAsync(Admin, AppId, Ct);
    }

    public static string Describe(string permission) => permission switch
    {
        AdminPermissions.AppsRead => "Read the app's settings and keys",
        AdminPermissions.AppsWrite => "Change settings, rotate and revoke signing keys, manage server keys",
        AdminPermissions.UsersRead => "Search and read users (audited)",
        AdminPermissions.UsersWrite => "Create, change, disable and erase users; end sessions",
        AdminPermissions.Invitations => "Invite people; list and revoke invitations",
        AdminPermissions.RolesManage => "Define roles; assign roles and plans",
        AdminPermissions.AuditRead => "Read the audit trail",
        AdminPermissions.OutboxRead => "Read the dev outbox",
        _ => permission,
    };
}
