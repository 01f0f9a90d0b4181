using System.Text.Json;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Infrastructure;

public static class InfrastructureExtensions
{
    /// <summary>Options, clock, keys, databases, error vocabulary.</summary>
    public static WebApplicationBuilder AddLatchkeyInfrastructure(this WebApplicationBuilder builder)
    {
        LatchkeyOptions.MapEnvironment(builder.Configuration);
        var section = builder.Configuration.GetSection("Latchkey");
        builder.Services.AddOptions<LatchkeyOptions>().Bind(section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Database), "LATCHKEY_DATABASE must not be empty.")
            .Validate(o => string.IsNullOrWhiteSpace(o.MasterKey) || MasterKey.IsValid(o.MasterKey), MasterKey.FormatError(MasterKey.EnvironmentName))
            .ValidateOnStart();
        var options = section.Get<LatchkeyOptions>() ?? new LatchkeyOptions();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(sp => MasterKey.Load(
            sp.GetRequiredService<IOptions<LatchkeyOptions>>().Value.MasterKey,
            sp.GetRequiredService<IOptions<LatchkeyOptions>>().Value.KeysDir,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<MasterKey>()));
        builder.Services.TryAddSingleton<ServerKeys>();
        builder.Services.AddSingleton<PublicUrl>();
        builder.ListenOnDefaultUrl();
        builder.Services.AddSingleton<OpenedUserKeys>();
        builder.Services.AddScoped<UserKeyring>();
        builder.Services.AddScoped<KeyStoreSecrets>();
        builder.Services.AddScoped<KeyStoreSetup>();
        builder.Services.AddScoped<KeysFolderImport>();
        builder.Services.AddLatchkeyPersistence(options);
        builder.Services.AddHttpContextAccessor();

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // Problems the framework writes itself (validation, 404 routes) get a code too.
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd("code", ProblemTitles.CodeFor(status));
            // Every body carries type, title, status, detail and code (RFC 9457), a 429 too.
            context.ProblemDetails.Type ??= ProblemTitles.TypeFor(status);
            context.ProblemDetails.Title ??= ProblemTitles.For(status);
            context.ProblemDetails.Status ??= status;
            context.ProblemDetails.Extensions.Remove("traceId");
            if (context.ProblemDetails is HttpValidationProblemDetails validation)
            {
                // Built-in validation names C# properties; clients sent camelCase JSON.
                var errors = validation.Errors.ToDictionary(e => JsonNamingPolicy.CamelCase.ConvertName(e.Key), e => e.Value);
                validation.Errors.Clear();
                foreach (var (key, value) in errors)
                {
                    validation.Errors[key] = value;
                }
            }
            context.ProblemDetails.Detail ??= status == StatusCodes.Status400BadRequest
                ? "Some fields are not valid; see errors."
                : ProblemTitles.For(status) + ".";
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(o => StrictJson.Apply(o.SerializerOptions));
        builder.Services.ConfigureAll<OpenApiOptions>(o => o.AddSchemaTransformer(StrictJson.DescribeAsync));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024);
        return builder;
    }
}
