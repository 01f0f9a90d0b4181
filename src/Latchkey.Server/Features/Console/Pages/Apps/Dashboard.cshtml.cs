using Latchkey.Server.Features.AdminConsole.Dashboard;
using Latchkey.Server.Features.CustomRoles;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>An app at a glance: users, live sessions, sign-ins and failures per day, recent security events.</summary>
public sealed class DashboardModel(DashboardStats stats, AuditNames auditNames) : ConsolePageModel
{
    [FromRoute] public string AppId { get; set; } = "";

    public DashboardFigures Figures { get; private set; } = null!;
    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();
    public bool CanReadAudit => Admin.Can(AdminPermissions.AuditRead);

    public async Task OnGetAsync()
    {
        Require(AppId, AdminPermissions.AppsRead);
        await CurrentAppAsync(AppId);
        Figures = await stats.ForAsync([AppId], Ct);
        if (CanReadAudit)
        {
            Names = await auditNames.ResolveAsync(Admin, Figures.SecurityEvents, Ct);
        }
    }
}
