namespace Latchkey.Server.Features.Sessions;

public static class SessionExtensions
{
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<SessionService>();
        services.AddScoped<RefreshRotation>();
        services.AddScoped<SessionCleanup>();
        services.AddHostedService<SessionCleanupJob>();
        return services;
    }
}
