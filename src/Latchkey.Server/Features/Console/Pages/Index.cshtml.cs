using Latchkey.Server.Features.AdminConsole.Dashboard;
using Latchkey.Server.Features.Apps;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>The platform: a super admin's dashboard of every app, the apps with their users, create and delete; other admins go to their app.</summary>
public sealed class IndexModel(DashboardStats stats, AuditNames auditNames) : ConsolePageModel
{
    public IReadOnlyList<AdminAppEndpoints.AppView> Apps { get; private set; } = [];
    public IReadOnlyDictionary<string, int> UserCounts { get; private set; } = new Dictionary<string, int>();
    public DashboardFigures? Figures { get; private set; }
    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();

    [BindProperty] public string? Id { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Confirm { get; set; }
    /// <summary>The app whose deletion waits for confirmation.</summary>
    [BindProperty(SupportsGet = true)] public string? Delete { get; set; }
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Admin.IsSuperAdmin)
        {
            return Redirect(ConsoleNav.Home(Admin));
        }
        await LoadAsync();
        if (Delete is not null && Apps.All(a => a.Id != Delete))
        {
            Delete = null;
        }
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync()
    {
        Admin.EnsureSuperAdmin();
        var request = new AdminAppEndpoints.CreateAppRequest { Id = Blank(Id)?.ToLowerInvariant(), Name = Name?.Trim() ?? "" };
        AdminAppEndpoints.AppView? created = null;
        if (await TryAsync(async () =>
            {
                Validate(request);
                created = await Api.CreateAppAsync(Admin, request, Ct);
            }))
        {
            return Redirect($"/console/apps/{created!.Id}?done=created");
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string appId)
    {
        Admin.EnsureSuperAdmin();
        Delete = appId;
        if (!string.Equals(Confirm?.Trim(), appId, StringComparison.Ordinal))
        {
            ModelState.AddModelError("confirm", $"Type {appId} to confirm that this app and all its users go.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync();
            return Page();
        }
        if (await TryAsync(() => Api.DeleteAppAsync(Admin, appId, Ct)))
        {
            return Redirect("/console?done=deleted");
        }
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        Apps = await Api.ListAppsAsync(Admin, Ct);
        UserCounts = await stats.UserCountsAsync(Ct);
        Figures = await stats.ForAsync(Apps.Select(a => a.Id).ToList(), Ct);
        Names = await auditNames.ResolveAsync(Admin, Figures.SecurityEvents, Ct);
    }
}
