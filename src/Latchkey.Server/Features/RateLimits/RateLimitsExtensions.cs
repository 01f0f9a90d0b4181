using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.RateLimits;

public static class RateLimitsExtensions
{
    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .ValidateDataAnnotations()
            .Validate(RateLimitOptions.IsConsistent,
                "Latchkey:RateLimits: FreeFailures must be below LockAfterFailures, and FirstDelaySeconds at most MaxDelaySeconds.")
            .ValidateOnStart();
        services.AddOptions<SendLimitOptions>().BindConfiguration(SendLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<SendLimitOptions>, SendLimitOptions.Validation>();
        services.AddScoped<CredentialThrottle>();
        services.AddScoped<SendBudget>();
        return services;
    }
}
