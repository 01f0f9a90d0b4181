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

