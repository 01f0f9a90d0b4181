namespace Latchkey.Server.Features.CustomRoles;

public static class CustomRolesExtensions
{
    /// <summary>Custom roles (MISSION U1): what users' roles grant, and the service that assigns them.</summary>
    public static IServiceCollection AddCustomRoles(this IServiceCollection services)
    {
        services.AddScoped<RoleGrants>();
        services.AddScoped<RoleAssignments>();
        return services;
    }
}
