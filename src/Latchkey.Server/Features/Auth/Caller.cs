using System.Reflection;
using System.Security.Claims;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Auth;

/// <summary>
/// The signed-in user calling an app-scoped endpoint. Binding fails with 401 when the token was
/// issued for another app than the one in the route.
/// </summary>
public sealed record Caller(Guid UserId, Guid SessionId, string AppId, string Role)
{
    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var caller = From(context.User) ?? throw Problems.Unauthorized("This endpoint needs a bearer access token.");
        if (context.GetRouteValue("appId") is string appId && appId != caller.AppId)
        {
            throw Problems.Unauthorized("This access token was issued for another app.");
        }
        return ValueTask.FromResult<Caller?>(caller);
    }

    public static Caller? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }
        return new Caller(
            Guid.Parse(principal.FindFirstValue(CallerClaims.UserId)!),
            Guid.Parse(principal.FindFirstValue(CallerClaims.SessionId)!),
            principal.FindFirstValue(CallerClaims.AppId)!,
            principal.FindFirstValue(CallerClaims.Role)!);
    }

    public bool IsSuperAdmin => AppId == App.ConsoleId && Role == Roles.SuperAdmin;
}

/// <summary>
/// A caller of the admin API: a console super admin (every app) or an app's admin (that app only).
/// </summary>
public sealed record AdminCaller(Caller Caller)
{
    public static ValueTask<AdminCaller?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var caller = Caller.From(context.User) ?? throw Problems.Unauthorized("The admin API needs a bearer access token.");
        if (!caller.IsSuperAdmin && caller.Role != Roles.Admin)
        {
            throw Problems.Forbidden("The admin API is for super admins and app admins.");
        }
        var admin = new AdminCaller(caller);
        if (context.GetRouteValue("appId") is string appId)
        {
            admin.EnsureCanManage(appId);
        }
        return ValueTask.FromResult<AdminCaller?>(admin);
    }

    public bool IsSuperAdmin => Caller.IsSuperAdmin;

    public void EnsureCanManage(string appId)
    {
        if (!IsSuperAdmin && Caller.AppId != appId)
        {
            throw Problems.Forbidden("App admins manage only their own app.");
        }
    }

    public void EnsureSuperAdmin()
    {
        if (!IsSuperAdmin)
        {
            throw Problems.Forbidden("Only super admins may do this.");
        }
    }
}
