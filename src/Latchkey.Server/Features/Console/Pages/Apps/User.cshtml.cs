using System.Globalization;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>
/// One user: their data and profile, last sign-in and sign-in history (from the audit trail);
/// disable, erase, reset the password or handles; role, custom roles and plan; the devices
/// (sessions) they are signed in with, to end one or all.
/// </summary>
public sealed class UserModel : ConsolePageModel
{
    public const int HistorySize = 20;

    [FromRoute] public string AppId { get; set; } = "";
    [FromRoute] public Guid UserId { get; set; }
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }
    /// <summary>Set (?delete=1) while the erase waits for confirmation.</summary>
    [BindProperty(SupportsGet = true)] public bool Delete { get; set; }

    [BindProperty] public string? NewPassword { get; set; }
    [BindProperty] public string? NewEmail { get; set; }
    [BindProperty] public string? NewPhone { get; set; }
    [BindProperty] public string? NewUsername { get; set; }
    [BindProperty] public string? NewPin { get; set; }
    [BindProperty] public string? Role { get; set; }
    [BindProperty] public List<string> CustomRoles { get; set; } = [];
    [BindProperty] public string? Plan { get; set; }
    [BindProperty] public string? PlanExpiresAt { get; set; }
    [BindProperty] public bool NoEnd { get; set; }

    public AdminUserEndpoints.AdminUserView Person { get; private set; } = null!;
    public IReadOnlyList<AdminSessionEndpoints.AdminSessionView> Sessions { get; private set; } = [];
    public IReadOnlyList<RoleEndpoints.RoleView> AppRoles { get; private set; } = [];
    public Users.Profile Profile { get; private set; } = new();
    /// <summary>The newest sign-ins and failed sign-ins at this account, newest first.</summary>
    public IReadOnlyList<AuditRecord> History { get; private set; } = [];
    public DateTime? LastSignIn { get; private set; }
    public bool CanWrite => Admin.Can(AdminPermissions.UsersWrite);
    public bool CanManageRoles => Admin.Can(AdminPermissions.RolesManage);
    public bool IsSelf => Admin.Caller.UserId == UserId;
    public bool IsConsoleApp => AppId == Latchkey.Server.Features.Apps.App.ConsoleId;

    private string Here => $"/console/apps/{AppId}/users/{UserId}";

    public async Task OnGetAsync()
    {
        Require(AppId, AdminPermissions.UsersRead);
        await LoadAsync();
    }

    public Task<IActionResult> OnPostDisabledAsync(bool disabled) =>
        ChangeAsync(new AdminUserChanges.UpdateUserRequest { Disabled = disabled }, disabled ? "disabled" : "enabled", "state.");

    public Task<IActionResult> OnPostPasswordAsync() =>
        ChangeAsync(new AdminUserChanges.UpdateUserRequest { Password = string.IsNullOrEmpty(NewPassword) ? null : NewPassword }, "password", "password.",
            required: ("password", NewPassword, "Enter the new password."));

    public Task<IActionResult> OnPostHandlesAsync() =>
        ChangeAsync(new AdminUserChanges.UpdateUserRequest { Email = Blank(NewEmail), Phone = Blank(NewPhone), Username = Blank(NewUsername) }, "handles", "handles.",
            required: ("email", Blank(NewEmail) ?? Blank(NewPhone) ?? Blank(NewUsername), "Enter a new email, phone number or user name."));

    public Task<IActionResult> OnPostPinAsync() =>
        ChangeAsync(new AdminUserChanges.UpdateUserRequest { Pin = Blank(NewPin) }, "pin", "pin.", required: ("pin", Blank(NewPin), "Enter the PIN."));

    public Task<IActionResult> OnPostRoleAsync() =>
        ChangeAsync(new AdminUserChanges.UpdateUserRequest { Role = Blank(Role) }, "role", "role.", required: ("role", Blank(Role), "Choose a role."));

    public async Task<IActionResult> OnPostPlanAsync()
    {
        Require(AppId, AdminPermissions.UsersWrite);
        DateTimeOffset? end = null;
        if (Blank(PlanExpiresAt) is { } text)
        {
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                return await ShowAsync(Problems.InvalidField("planExpiresAt", "Enter the end as a date and time (UTC)."), "plan.");
            }
            end = parsed;
        }
        var request = NoEnd ? new AdminUserChanges.UpdateUserRequest { Plan = Blank(Plan), PlanExpiresAt = null }
            : end is not null ? new AdminUserChanges.UpdateUserRequest { Plan = Blank(Plan), PlanExpiresAt = end }
            : new AdminUserChanges.UpdateUserRequest { Plan = Blank(Plan) };
        return await ChangeAsync(request, "plan", "plan.");
    }

    public async Task<IActionResult> OnPostCustomRolesAsync()
    {
        Require(AppId, AdminPermissions.RolesManage);
        var request = new UserRoleEndpoints.UserRolesRequest { Roles = CustomRoles.Select(r => (string?)r).ToList() };
        if (await TryAsync(() => Api.AssignRolesAsync(Admin, AppId, UserId, request, Ct), "roles."))
        {
            return Redirect($"{Here}?done=roles#roles");
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync()
    {
        Require(AppId, AdminPermissions.UsersWrite);
        if (await TryAsync(() => Api.DeleteUserAsync(Admin, AppId, UserId, Ct)))
        {
            return Redirect($"/console/apps/{AppId}/users?done=deleted");
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeSessionAsync(Guid sessionId)
    {
        Require(AppId, AdminPermissions.UsersWrite);
        await Api.RevokeSessionAsync(Admin, AppId, UserId, sessionId, Ct);
        return Redirect($"{Here}?done=session-revoked#sessions");
    }

    public async Task<IActionResult> OnPostRevokeAllAsync()
    {
        Require(AppId, AdminPermissions.UsersWrite);
        await Api.RevokeAllSessionsAsync(Admin, AppId, UserId, Ct);
        return Redirect($"{Here}?done=sessions-revoked#sessions");
    }

    /// <summary>How a sign-in record says the user came in: the route of a sign-in, the method of a failure.</summary>
    public static string How(AuditRecord record)
    {
        var parts = (record.Detail ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        return parts.GetValueOrDefault("via") ?? parts.GetValueOrDefault("method") ?? "";
    }

    private async Task<IActionResult> ChangeAsync(AdminUserChanges.UpdateUserRequest request, string done, string prefix,
        (string Field, string? Value, string Message)? required = null)
    {
        Require(AppId, AdminPermissions.UsersWrite);
        if (required is { } r && string.IsNullOrEmpty(r.Value))
        {
            return await ShowAsync(Problems.InvalidField(r.Field, r.Message), prefix);
        }
        if (await TryAsync(async () =>
            {
                Validate(request);
                await Api.UpdateUserAsync(Admin, AppId, UserId, request, Ct);
            }, prefix))
        {
            return Redirect($"{Here}?done={done}");
        }
        await LoadAsync();
        return Page();
    }

    private async Task<IActionResult> ShowAsync(ProblemException problem, string prefix)
    {
        ShowProblem(problem, prefix);
        Response.StatusCode = problem.Status;
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        await CurrentAppAsync(AppId);
        Person = await Api.GetUserAsync(Admin, AppId, UserId, Ct);
        Sessions = await Api.SessionsAsync(Admin, AppId, UserId, Ct);
        // Note: part of the read GetUserAsync audited (user.read): the profile is the user's data too.
        var db = S<LatchkeyDbContext>();
        if (await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == UserId, Ct) is { } user && await S<UserKeyring>().FindAsync(UserId, Ct) is { } key)
        {
            Profile = UserProfiles.Read(user, key);
        }
        // The audit trail's (app, target) index finds them; sign-ins and failures are few per user.
        History = await db.AuditRecords.AsNoTracking()
            .Where(r => r.AppId == AppId && r.TargetUserId == UserId && (r.Action == AuditActions.SignIn || r.Action == AuditActions.SignInFailed))
            .OrderByDescending(r => r.At).ThenByDescending(r => r.Id).Take(HistorySize).ToListAsync(Ct);
        LastSignIn = History.FirstOrDefault(r => r.Action == AuditActions.SignIn)?.At
            ?? await db.AuditRecords.Where(r => r.AppId == AppId && r.TargetUserId == UserId && r.Action == AuditActions.SignIn)
                .OrderByDescending(r => r.At).Select(r => (DateTime?)r.At).FirstOrDefaultAsync(Ct);
        if (CanManageRoles)
        {
            AppRoles = await Api.RolesAsync(Admin, AppId, Ct);
        }
        NewPassword = null;
        NewPin = null;
        Role ??= Person.Role;
        Plan ??= Person.Plan;
    }
}
