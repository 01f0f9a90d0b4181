using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latchkey.Server.Features.Mfa;

public static class MfaExtensions
{
    /// <summary>
    /// The second factors (S3) other than passkeys, and the sign-in step that asks for them. Other
    /// features add their own <see cref="ISecondFactor"/> with <c>TryAddEnumerable</c>.
    /// </summary>
    public static IServiceCollection AddMfa(this IServiceCollection services)
    {
        services.TryAddScoped<TotpFactor>();
        services.TryAddScoped<SmsFactor>();
        services.TryAddScoped<RecoveryCodes>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ISecondFactor, TotpFactor>(sp => sp.GetRequiredService<TotpFactor>()));
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ISecondFactor, SmsFactor>(sp => sp.GetRequiredService<SmsFactor>()));
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ISecondFactor, RecoveryCodes>(sp => sp.GetRequiredService<RecoveryCodes>()));
        services.TryAddScoped<MfaGate>();
        services.TryAddScoped<MfaSignIns>();
        services.TryAddScoped<MfaCompletion>();
        services.TryAddScoped<MfaAudit>();
        services.TryAddScoped<StepUp>();
        services.TryAddScoped<MfaEnrolment>();
        return services;
    }

    /// <summary>Admins the app's policy wants with a second factor use the admin API only once they have one.</summary>
    public static RouteGroupBuilder RequireMfaOfAdmins(this RouteGroupBuilder admin)
    {
        admin.AddEndpointFilter<RouteGroupBuilder, AdminMfaFilter>();
        return admin;
    }
}
