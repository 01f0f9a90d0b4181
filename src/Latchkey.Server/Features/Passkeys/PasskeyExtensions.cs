using Latchkey.Server.Features.Mfa;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Passkeys;

public static class PasskeyExtensions
{
    public static IServiceCollection AddPasskeys(this IServiceCollection services)
    {
        services.AddOptions<WebAuthnOptions>().BindConfiguration(WebAuthnOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebAuthnOptions>, WebAuthnOptionsValidator>();
        services.AddScoped<RelyingParty>();
        services.AddScoped<PasskeyCeremonies>();
        services.AddScoped<PasskeyService>();
        services.AddScoped<ISecondFactor, PasskeySecondFactor>();
        return services;
    }
}
