using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Invitations;
using Latchkey.Server.Features.Users;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>An app's users: search by exact handle or the start of an email, page through, anonymous users; create a user; invite people.</summary>
public sealed class UsersModel : ConsolePageModel
{
    public const int PageSize = 25;

    [FromRoute] public string AppId { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public bool Anonymous { get; set; }
    // Note: not "page", which Razor Pages keeps for the page's own route value.
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }

    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Phone { get; set; }
    [BindProperty] public string? Username { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty] public string? Role { get; set; }
    [BindProperty] public bool EmailVerified { get; set; }
    [BindProperty] public string? InviteHandle { get; set; }
    [BindProperty] public bool SendWelcome { get; set; }

    public IReadOnlyList<AdminUserEndpoints.AdminUserView> Users { get; private set; } = [];
    public bool HasMore { get; private set; }
    public IReadOnlyList<InvitationEndpoints.InvitationView> Invitations { get; private set; } = [];
    public bool IsConsoleApp => AppId == Latchkey.Server.Features.Apps.App.ConsoleId;

    /// <summary>Whether the list shows; an admin who may only invite sees the invitations alone.</summary>
    public bool CanRead => Admin.Can(AdminPermissions.UsersRead);

    public async Task OnGetAsync()
    {
        Require(AppId, CanRead ? AdminPermissions.UsersRead : AdminPermissions.Invitations);
        await LoadAsync();
    }

    public async Task<IActionResult> OnPostCreateAsync()
    {
        Require(AppId, AdminPermissions.UsersWrite);
        var request = new AdminUserChanges.CreateUserRequest
        {
            Email = Blank(Email),
            Phone = Blank(Phone),
            Username = Blank(Username),
            Password = string.IsNullOrEmpty(Password) ? null : Password,
            Role = Blank(Role),
            EmailVerified = EmailVerified,
        };
        AdminUserEndpoints.AdminUserView? created = null;
        if (await TryAsync(async () =>
            {
                Validate(request);
                created = await Api.CreateUserAsync(Admin, AppId, request, Ct);
            }, "create."))
        {
            return Redirect($"/console/apps/{AppId}/users/{created!.Id}?done=created");
        }
        Password = null;
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostInviteAsync()
    {
        Require(AppId, AdminPermissions.Invitations);
        var app = await CurrentAppAsync(AppId);
        var request = new InvitationEndpoints.InviteRequest { Handle = InviteHandle?.Trim() ?? "", SendWelcome = SendWelcome };
        if (await TryAsync(async () =>
            {
                Validate(request);
                await Api.InviteAsync(app, request, HttpContext, Ct);
            }, "invite."))
        {
            return Redirect($"/console/apps/{AppId}/users?done=invited#invitations");
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeInvitationAsync(Guid invitationId)
    {
        Require(AppId, AdminPermissions.Invitations);
        var app = await CurrentAppAsync(AppId);
        await Api.RevokeInvitationAsync(app, invitationId, HttpContext, Ct);
        return Redirect($"/console/apps/{AppId}/users?done=invitation-revoked#invitations");
    }

    private async Task LoadAsync()
    {
        var app = await CurrentAppAsync(AppId);
        PageNumber = Math.Max(1, PageNumber);
        if (CanRead)
        {
            // One more than a page tells whether there is a next page.
            var found = await Api.SearchUsersAsync(Admin, AppId, Blank(Q), Anonymous ? true : null, PageSize + 1, (PageNumber - 1) * PageSize, Ct, prefix: true);
            HasMore = found.Count > PageSize;
            Users = found.Take(PageSize).ToList();
        }
        if (Admin.Can(AdminPermissions.Invitations))
        {
            Invitations = (await Api.InvitationsAsync(app, HttpContext, Ct)).Take(50).ToList();
        }
    }

    /// <summary>The list's URL with another page number, keeping the search.</summary>
    public string PageUrl(int page)
    {
        var query = new List<string>();
        if (!string.IsNullOrWhiteSpace(Q))
        {
            query.Add("q=" + Uri.EscapeDataString(Q));
        }
        if (Anonymous)
        {
            query.Add("anonymous=true");
        }
        query.Add("p=" + page);
        return $"/console/apps/{AppId}/users?{string.Join('&', query)}";
    }
}
