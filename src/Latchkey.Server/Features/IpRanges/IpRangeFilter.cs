using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.IpRanges;

/// <summary>
/// S2: app-scoped requests from an address outside the app's non-empty <c>ipRanges</c> answer
/// 403 <c>ip_not_allowed</c>. A filter on the app-scoped route groups, so every endpoint mapped
/// there (sign-in, token, /me, …) is covered once, after <see cref="CurrentApp"/> is bound.
/// </summary>
public static class IpRangeFilter
{
    public static RouteGroupBuilder RequireAllowedNetwork(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            // Note: the app's public key documents (JWKS, openid-configuration) stay open. The app's
            // own servers verify tokens with them from wherever they run, and they hold no secret.
            if (http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } && pattern.Contains("/.well-known/", StringComparison.Ordinal))
            {
                return await next(context);
            }
            var app = context.Arguments.OfType<CurrentApp>().FirstOrDefault()?.App ?? await FindAppAsync(http);
            if (app is not null && !IpRangeList.For(app.Settings.IpRanges).Allows(ClientAddress.Of(http)))
            {
                // Note: logged without the address itself (personal data), and not in the audit trail,
                // which records people's actions on accounts; refusals can come in floods.
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IpRangeFilter).FullName!)
                    .LogWarning("Refused {Method} {Route} for app {AppId}: the client address is outside the app's IP ranges",
                        http.Request.Method, (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText, app.Id);
                throw Problems.IpNotAllowed();
            }
            return await next(context);
        });
        return group;
    }

    /// <summary>For an endpoint that does not bind CurrentApp; an unknown app is left to the endpoint.</summary>
    private static async Task<App?> FindAppAsync(HttpContext http) =>
        http.GetRouteValue("appId") is string appId && AppIds.IsValid(appId)
            ? await http.RequestServices.GetRequiredService<LatchkeyDbContext>().Apps.AsNoTracking()
                .FirstOrDefaultAsync(a => a.Id == appId, http.RequestAborted)
            : null;
}
