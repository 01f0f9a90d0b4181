using System.Reflection;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Apps;

/// <summary>
/// The app named by the route's <c>{appId}</c>, bound for every app-scoped endpoint. Binding it
/// also scopes the request's database queries to that app (tenant isolation).
/// </summary>
public sealed record CurrentApp(App App)
{
    public static async ValueTask<CurrentApp?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var appId = context.GetRouteValue("appId") as string ?? string.Empty;
        var db = context.RequestServices.GetRequiredService<LatchkeyDbContext>();
        var app = AppIds.IsValid(appId)
            ? await context.RequestServices.GetRequiredService<AppCache>().FindAsync(appId, db, context.RequestAborted)
            : null;
        if (app is null)
        {
            throw Problems.AppNotFound(appId);
        }
        db.TenantAppId = app.Id;
        return new CurrentApp(app);
    }

    public string Id => App.Id;
    public AppSettings Settings => App.Settings;
}
