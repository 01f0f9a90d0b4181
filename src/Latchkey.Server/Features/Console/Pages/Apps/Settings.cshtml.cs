using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>
/// An app's security settings, laid out like the seed's page: access link and QR code, then one
/// form per section (<see cref="SettingsSections"/>: who can access and sign-up, how to
/// authenticate, token lifetimes, extra security, second factor, plans), each saved on its own,
/// then the app's server keys and signing keys.
/// </summary>
public sealed class SettingsModel(Issuers issuers) : ConsolePageModel
{
    [FromRoute] public string AppId { get; set; } = "";
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? KeyName { get; set; }
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }
    /// <summary>The section a save was for: its notice or its problems show in it.</summary>
    [BindProperty(SupportsGet = true)] public string? Section { get; set; }

    public AdminAppEndpoints.AppView App { get; private set; } = null!;
    public SettingsForm Form { get; private set; } = null!;
    public string AccessLink { get; private set; } = "";
    public string AccessQrSvg { get; private set; } = "";
    public IReadOnlyList<AppServerKeyEndpoints.KeyView> ServerKeys { get; private set; } = [];
    public IReadOnlyList<SigningKeyEndpoints.KeyView> SigningKeys { get; private set; } = [];
    /// <summary>A server key made by this request: its secret is shown now and never again.</summary>
    public AppServerKeyEndpoints.CreatedKey? NewServerKey { get; private set; }
    public bool CanWrite => Admin.Can(AdminPermissions.AppsWrite);

    public async Task OnGetAsync()
    {
        Require(AppId, AdminPermissions.AppsRead);
        await LoadAsync();
        Form = SettingsForm.From(App.Settings);
        Name = App.Name;
    }

    /// <summary>Saves one section: only its settings (or the name) are read from the form; the others stay as stored.</summary>
    public async Task<IActionResult> OnPostSaveAsync()
    {
        Require(AppId, AdminPermissions.AppsWrite);
        var section = SettingsSections.Find(Section) ?? throw Problems.InvalidField("section", "This is not a section of the settings page.");
        await LoadAsync();
        Form = SettingsForm.From(App.Settings, Request.Form, section.Settings.ToHashSet());
        if (section.Id == SettingsSections.App)
        {
            // The name is kept as typed on a problem; otherwise the stored one shows.
            Name ??= "";
        }
        else
        {
            Name = App.Name;
        }
        var unchanged = false;
        var saved = await TryAsync(async () =>
        {
            var patch = Form.PatchFrom(App.Settings);
            var name = section.Id == SettingsSections.App ? NameChange() : null;
            if (patch.Count == 0 && name is null)
            {
                unchanged = true;
                return;
            }
            var request = new AdminAppEndpoints.UpdateAppRequest { Name = name, Settings = patch.Count == 0 ? null : patch };
            Validate(request);
            await Api.UpdateAppAsync(Admin, AppId, request, Ct);
        });
        return saved ? Redirect($"/console/apps/{AppId}?done={(unchanged ? "unchanged" : "saved")}&section={section.Id}#{section.Id}") : Page();
    }

    /// <summary>The new name, or null when it is unchanged; an empty name is refused.</summary>
    private string? NameChange()
    {
        if (Blank(Name) is not { } name)
        {
            throw Problems.InvalidField("name", "Enter the app's name.");
        }
        return name == App.Name ? null : name;
    }

    public async Task<IActionResult> OnPostCreateServerKeyAsync()
    {
        Require(AppId, AdminPermissions.AppsWrite);
        var request = new AppServerKeyEndpoints.CreateRequest { Name = Blank(KeyName) };
        await TryAsync(async () =>
        {
            Validate(request);
            NewServerKey = await Api.CreateServerKeyAsync(Admin, AppId, request, Ct);
        }, "key.");
        await LoadAsync();
        Form = SettingsForm.From(App.Settings);
        Name = App.Name;
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeServerKeyAsync(string keyId)
    {
        Require(AppId, AdminPermissions.AppsWrite);
        await Api.RevokeServerKeyAsync(Admin, AppId, keyId, Ct);
        return Redirect($"/console/apps/{AppId}?done=key-revoked#server-keys");
    }

    public async Task<IActionResult> OnPostRotateAsync()
    {
        Require(AppId, AdminPermissions.AppsWrite);
        await Api.RotateSigningKeyAsync(Admin, AppId, Ct);
        return Redirect($"/console/apps/{AppId}?done=rotated#signing-keys");
    }

    private async Task LoadAsync()
    {
        App = await Api.GetAppAsync(Admin, AppId, Ct);
        ViewData[ConsoleView.AppNameKey] = App.Name;
        AccessLink = issuers.For(App.Id);
        AccessQrSvg = AccessLinkQr.Svg(AccessLink);
        ServerKeys = await Api.ServerKeysAsync(Admin, AppId, Ct);
        SigningKeys = await Api.SigningKeysAsync(Admin, AppId, Ct);
    }

    public string? SettingError(string name) => ErrorFor("settings." + name);

    /// <summary>Whether this answer is about <paramref name="section"/>: a save of it that was refused, or done.</summary>
    public bool IsAbout(string section) => Section == section;
}
