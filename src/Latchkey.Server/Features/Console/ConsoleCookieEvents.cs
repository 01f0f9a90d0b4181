using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// Checks the console cookie on every request against the database (<see cref="ConsoleAccess"/>):
/// a revoked or expired session, a disabled user, an address outside the app's IP ranges or a
/// caller the admin rules no longer accept signs the cookie out at once, on every node.
/// </summary>
public sealed class ConsoleCookieEvents(ConsoleAccess access) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var http = context.HttpContext;
        var check = context.Principal is null
            ? ConsoleAccess.Result.Refused(ConsoleAuthentication.EndReasons.Ended)
            : await access.CheckAsync(context.Principal, http, http.RequestAborted);
        if (check.Principal is null)
        {
            http.Items[ConsoleAuthentication.EndReasonKey] = check.EndReason;
            context.RejectPrincipal();
            await http.SignOutAsync(ConsoleAuthentication.Scheme);
            return;
        }
        // Note: the role and plan as they are now, not as they were at sign-in.
        context.ReplacePrincipal(check.Principal);
        http.Items[ConsoleAccess.AdminKey] = check.Admin;
    }

    public override Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context)
    {
        var uri = context.RedirectUri;
        if (context.HttpContext.Items[ConsoleAuthentication.EndReasonKey] is string reason)
        {
            uri += (uri.Contains('?') ? "&" : "?") + "reason=" + reason;
        }
        context.Response.Redirect(uri);
        return Task.CompletedTask;
    }
}
