using Latchkey.Server.Features.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>Signing out ends the console's session (its refresh family is dead too) and drops the cookie.</summary>
public sealed class LogoutModel(SessionService sessions) : ConsolePageModel
{
    protected override bool ChecksSecondFactor => false;

    public IActionResult OnGet() => Redirect("/console");

    public async Task<IActionResult> OnPostAsync()
    {
        // The console's session belongs to the app the admin signed in through.
        S<Infrastructure.Persistence.LatchkeyDbContext>().TenantAppId = Admin.Caller.AppId;
        await sessions.RevokeAsync(Admin.Caller.SessionId, RevokeReasons.Logout, Ct);
        await HttpContext.SignOutAsync(ConsoleAuthentication.Scheme);
        return Redirect($"{ConsoleAuthentication.LoginPath}?reason={ConsoleAuthentication.EndReasons.SignedOut}");
    }
}
