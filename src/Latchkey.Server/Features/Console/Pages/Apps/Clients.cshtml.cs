using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.OidcClients;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>
/// An app's OpenID Connect clients: the registered ones, register a native app or a server,
/// delete one, give a server a new secret. A secret is shown on the page that made it, once.
/// </summary>
public sealed class ClientsModel : ConsolePageModel
{
    [FromRoute] public string AppId { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? Delete { get; set; }
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }

    [BindProperty] public string? ClientId { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Type { get; set; } = OidcClientTypes.Public;
    [BindProperty] public string? RedirectUris { get; set; }
    [BindProperty] public string? PostLogoutRedirectUris { get; set; }
    [BindProperty] public string? Scopes { get; set; }

    public IReadOnlyList<OidcClientEndpoints.ClientView> Clients { get; private set; } = [];
    public bool CanWrite => Admin.Can(AdminPermissions.AppsWrite);
    /// <summary>The client id and secret just made, shown this once.</summary>
    public (string ClientId, string Secret)? Secret { get; private set; }

    public async Task OnGetAsync()
    {
        Require(AppId, AdminPermissions.AppsRead);
        await LoadAsync();
        if (Clients.All(c => c.ClientId != Delete))
        {
            Delete = null;
        }
    }

    public async Task<IActionResult> OnPostCreateAsync()
    {
        Require(AppId, AdminPermissions.AppsWrite);
        var request = new OidcClientEndpoints.CreateRequest
        {
            ClientId = Blank(ClientId),
            Name = Blank(Name),
            Type = Type,
            RedirectUris = Lines(RedirectUris),
            PostLogoutRedirectUris = Lines(PostLogoutRedirectUris),
            Scopes = Blank(Scopes) is { } scopes ? scopes.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => (string?)s).ToList() : null,
        };
        OidcClientEndpoints.CreatedClient? created = null;
        if (await TryAsync(async () => created = await Api.CreateClientAsync(Admin, AppId, request, Ct)))
        {
            if (created!.ClientSecret is not { } secret)
            {
                return Redirect($"/console/apps/{AppId}/clients?done=created");
            }
            // Note: answered with the page itself, not a redirect, so the secret is never in a URL or a later page.
            Secret = (created.ClientId, secret);
            Done = "created";
            ClientId = Name = RedirectUris = PostLogoutRedirectUris = Scopes = null;
            Type = OidcClientTypes.Public;
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostSecretAsync(string clientId)
    {
        Require(AppId, AdminPermissions.AppsWrite);
        OidcClientEndpoints.NewSecret? rotated = null;
        if (await TryAsync(async () => rotated = await Api.RotateClientSecretAsync(Admin, AppId, clientId, Ct)))
        {
            Secret = (rotated!.ClientId, rotated.ClientSecret);
            Done = "rotated";
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string clientId)
    {
        Require(AppId, AdminPermissions.AppsWrite);
        await Api.DeleteClientAsync(Admin, AppId, clientId, Ct);
        return Redirect($"/console/apps/{AppId}/clients?done=deleted");
    }

    private async Task LoadAsync()
    {
        await CurrentAppAsync(AppId);
        Clients = await Api.ClientsAsync(Admin, AppId, Ct);
    }

    private static List<string?> Lines(string? text) =>
        (text ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => (string?)l).ToList();
}
