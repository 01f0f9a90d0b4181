using System.Reflection;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Auth;

/// <summary>
/// A caller of the admin API or console: a console super admin (every app), an app's admin (all
/// admin permissions, that app only), or a user of an app whose custom roles grant some
/// <c>admin:…</c> permissions (those, that app only). Binding checks the route's app and the
/// permission the endpoint declares with <see cref="AdminRouteExtensions.RequireAdminPermission"/>;
/// an admin route that declares none is the super admin's alone.
/// </summary>
public sealed record AdminCaller(Caller Caller, IReadOnlySet<string> Permissions)
{
    public static async ValueTask<AdminCaller?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var caller = Caller.From(context.User) ?? throw Problems.Unauthorized("The admin API needs a bearer access token.");
        var access = context.RequestServices.GetRequiredService<AdminAccess>();
        var admin = await access.ResolveAsync(caller, context.RequestAborted);
        var appId = context.GetRouteValue("appId") as string;
        if (appId is not null)
        {
            admin.EnsureCanManage(appId);
        }
        var required = context.GetEndpoint()?.Metadata.GetMetadata<AdminPermissionMetadata>()?.Permission ?? AdminPermissions.Platform;
        admin.EnsureCan(required);
        if (appId is not null)
        {
            // A route of one app: its queries see that app's rows only (tenant isolation), as on the app's own routes.
            context.RequestServices.GetRequiredService<LatchkeyDbContext>().TenantAppId = appId;
        }
        return admin;
    }

    public bool IsSuperAdmin => Caller.IsSuperAdmin;

    /// <summary>Whether the caller holds <paramref name="permission"/> (in the apps they may manage).</summary>
    public bool Can(string permission) => IsSuperAdmin || permission == AdminPermissions.AnyAdmin || Permissions.Contains(permission);

    public bool CanManage(string appId) => IsSuperAdmin || Caller.AppId == appId;

    public void EnsureCanManage(string appId)
    {
        if (!CanManage(appId))
        {
            throw Problems.Forbidden("App admins manage only their own app.");
        }
    }

    public void EnsureCan(string permission)
    {
        if (!Can(permission))
        {
            throw permission == AdminPermissions.Platform
                ? Problems.Forbidden("Only super admins may do this.")
                : Problems.Forbidden($"This needs the '{permission}' permission.");
        }
    }

    public void EnsureSuperAdmin() => EnsureCan(AdminPermissions.Platform);
}

/// <summary>The admin permission an endpoint needs (read by <see cref="AdminCaller.BindAsync"/>).</summary>
public sealed record AdminPermissionMetadata(string Permission);

public static class AdminRouteExtensions
{
    public static TBuilder RequireAdminPermission<TBuilder>(this TBuilder builder, string permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AdminPermissionMetadata(permission));
}
