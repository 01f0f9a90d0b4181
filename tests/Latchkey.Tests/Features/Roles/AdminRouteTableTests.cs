using System.Net;
using System.Text;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Latchkey.Tests.Features.Roles;

/// <summary>
/// U1 "done when": every admin route refuses the wrong role and the wrong app. The routes are
/// read from the running server, so a route added later is checked too, and one that binds no
/// admin check (or declares a permission that lets the wrong callers in) fails here.
/// </summary>
public abstract class AdminRouteTableTests(ServerFixture fixture) : RolesTest(fixture)
{
    private sealed record AdminRoute(string Method, RoutePattern Pattern, string Permission)
    {
        public bool IsAppScoped => Pattern.GetParameter("appId") is not null;
        public bool IsPlatform => Permission == AdminPermissions.Platform;
        public override string ToString() => $"{Method} {Pattern.RawText} [{Permission}]";
    }

    private sealed record Callers(
        string AdminOfA, string AdminOfB, string UserOfB, string AppPermissionOnlyOfB, IReadOnlyDictionary<string, string> SinglePermissionOfB);

    [Fact]
    public async Task Every_admin_route_refuses_the_wrong_role_and_the_wrong_app()
    {
        var routes = AdminRoutes();
        // The table must be the real one, not an empty or partial read of it.
        Assert.Contains(routes, r => r.Method == "POST" && r.Pattern.RawText == "/v1/admin/apps");
        Assert.Contains(routes, r => r.Method == "PUT" && r.Pattern.RawText == "/v1/admin/apps/{appId}/roles/{name}");
        Assert.Contains(routes, r => r.Method == "PATCH" && r.Pattern.RawText == "/v1/admin/apps/{appId}/users/{userId:guid}");
        var appA = await CreateAppAsync();
        var appB = await CreateAppAsync();
        var callers = await CallersAsync(appA, appB);
        // A user of app B the routes act on, who is none of the callers.
        var target = Str(await CreateUserAsync(appB, new { email = NewEmail("target"), password = GoodPassword, emailVerified = true }), "id");
        var failures = new List<string>();

        foreach (var route in routes)
        {
            await CheckRefusalsAsync(route, appB, target, callers, failures);
        }
        // Allowed calls last: they may change app B (erase the target, rotate a key).
        foreach (var route in routes.Where(r => !r.IsPlatform))
        {
            await CheckAllowedAsync(route, appB, target, callers, failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} admin route check(s) failed:\n" + string.Join("\n", failures));
    }

    private async Task CheckRefusalsAsync(AdminRoute route, string appB, string target, Callers callers, List<string> failures)
    {
        var path = PathOf(route, appB, target);
        await ExpectAsync(failures, route, "no token", await CallAsync(route, path, null), HttpStatusCode.Unauthorized, "unauthorized");
        await ExpectAsync(failures, route, "a plain user of app B", await CallAsync(route, path, callers.UserOfB), HttpStatusCode.Forbidden, "forbidden");
        await ExpectAsync(failures, route, "a user of app B whose role grants only an app permission",
            await CallAsync(route, path, callers.AppPermissionOnlyOfB), HttpStatusCode.Forbidden, "forbidden");

        if (route.IsPlatform)
        {
            await ExpectAsync(failures, route, "the app admin of app B", await CallAsync(route, path, callers.AdminOfB), HttpStatusCode.Forbidden, "forbidden");
            await ExpectAsync(failures, route, "the app admin of app A", await CallAsync(route, path, callers.AdminOfA), HttpStatusCode.Forbidden, "forbidden");
            foreach (var (permission, holder) in callers.SinglePermissionOfB)
            {
                await ExpectAsync(failures, route, $"a holder of {permission} in app B", await CallAsync(route, path, holder), HttpStatusCode.Forbidden, "forbidden");
            }
            return;
        }
        if (!route.IsAppScoped)
        {
            // Without an {appId} the route cannot be held to one app: only "the apps I manage" may be so.
            if (route.Permission != AdminPermissions.AnyAdmin || route.Method != "GET")
            {
                failures.Add($"{route}: an admin route without {{appId}} must be platform-only or a GET of what the caller manages");
                return;
            }
            var listed = await CallAsync(route, path, callers.AdminOfA);
            var text = await listed.Content.ReadAsStringAsync(Ct);
            if (!listed.IsSuccessStatusCode || text.Contains(appB, StringComparison.Ordinal))
            {
                failures.Add($"{route} as the app admin of app A: expected a success that does not show app B, got {(int)listed.StatusCode} {Cut(text)}");
            }
            return;
        }
        await ExpectAsync(failures, route, "the app admin of app A", await CallAsync(route, path, callers.AdminOfA), HttpStatusCode.Forbidden, "forbidden");
        if (!AdminPermissions.All.Contains(route.Permission))
        {
            failures.Add($"{route}: an app's route must declare one of the admin permissions");
            return;
        }
        foreach (var (permission, holder) in callers.SinglePermissionOfB.Where(h => h.Key != route.Permission))
        {
            await ExpectAsync(failures, route, $"a holder of only {permission} in app B", await CallAsync(route, path, holder), HttpStatusCode.Forbidden, "forbidden");
        }
    }

    private async Task CheckAllowedAsync(AdminRoute route, string appB, string target, Callers callers, List<string> failures)
    {
        var path = PathOf(route, appB, target);
        var allowed = new List<(string Who, string Token)> { ("the app admin of app B", callers.AdminOfB) };
        if (callers.SinglePermissionOfB.TryGetValue(route.Permission, out var holder))
        {
            allowed.Add(($"a holder of only {route.Permission} in app B", holder));
        }
        foreach (var (who, token) in allowed)
        {
            var response = await CallAsync(route, path, token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.InternalServerError)
            {
                failures.Add($"{route} as {who}: expected to be let in, got {(int)response.StatusCode} {Cut(await response.Content.ReadAsStringAsync(Ct))}");
            }
        }
    }

    private async Task<Callers> CallersAsync(string appA, string appB)
    {
        var single = new Dictionary<string, string>();
        foreach (var permission in AdminPermissions.All)
        {
            // The app permission rides along: it must open nothing in the admin API.
            single[permission] = await HolderOfAsync(appB, permission, "orders:read");
        }
        return new Callers(
            Access(await AppAdminAsync(appA)),
            Access(await AppAdminAsync(appB)),
            Access(await SignUpAsync(appB)),
            await HolderOfAsync(appB, "orders:read", "orders:write"),
            single);
    }

    private List<AdminRoute> AdminRoutes() =>
    [
        .. Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/admin/", StringComparison.Ordinal) == true || e.RoutePattern.RawText == "/v1/admin")
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new AdminRoute(
                method,
                e.RoutePattern,
                // What AdminCaller does with a route that declares nothing: the super admin's alone.
                e.Metadata.GetMetadata<AdminPermissionMetadata>()?.Permission ?? AdminPermissions.Platform)))
            .OrderBy(r => r.Pattern.RawText, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal),
    ];

    /// <summary>The route's path with app B, the target user, and made-up values for the other parameters.</summary>
    private static string PathOf(AdminRoute route, string appB, string target)
    {
        var path = new StringBuilder();
        foreach (var segment in route.Pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart { Name: "appId" } => appB,
                    RoutePatternParameterPart { Name: "userId" } => target,
                    RoutePatternParameterPart parameter => MadeUpValue(route.Pattern, parameter),
                    _ => throw new InvalidOperationException($"Unexpected route part in {route}"),
                });
            }
        }
        return path.ToString();
    }

    private static string MadeUpValue(RoutePattern pattern, RoutePatternParameterPart parameter)
    {
        var constraints = pattern.ParameterPolicies.TryGetValue(parameter.Name, out var policies)
            ? policies.Select(p => p.Content).ToList()
            : [];
        if (constraints.Contains("guid"))
        {
            return Guid.NewGuid().ToString();
        }
        if (constraints.Any(c => c is "int" or "long"))
        {
            return "424242";
        }
        return "zz" + Guid.NewGuid().ToString("N")[..8];
    }

    private async Task<HttpResponseMessage> CallAsync(AdminRoute route, string path, string? bearer)
    {
        var method = new HttpMethod(route.Method);
        var body = method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch ? JsonContent.Create(new { }) : null;
        return await SendAsync(method, path, body, bearer);
    }

    private static async Task ExpectAsync(List<string> failures, AdminRoute route, string who, HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? System.Text.Json.Nodes.JsonNode.Parse(text) : null;
        if (response.StatusCode != status || problem?["code"]?.GetValue<string>() != code)
        {
            failures.Add($"{route} as {who}: expected {(int)status} {code}, got {(int)response.StatusCode} {Cut(text)}");
        }
    }

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

[Collection(SqliteCollection.Name)]
public sealed class AdminRouteTableTests_Sqlite(SqliteServer server) : AdminRouteTableTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AdminRouteTableTests_Postgres(PostgresServer server) : AdminRouteTableTests(server);
