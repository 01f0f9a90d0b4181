using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpLogging;

namespace Latchkey.Server.Features.Operations;

/// <summary>Health checks, the OpenAPI document, its reference page and request logs (MISSION X2, X3).</summary>
public static class OperationsExtensions
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<LatchkeyDbContext>("database", tags: ["ready"])
            .AddDbContextCheck<KeyStoreDbContext>("keystore", tags: ["ready"]);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<ApiDocument>().AddOperationTransformer<ApiOperations>());

        // With LATCHKEY_REQUEST_LOG=true, one line per request (method, path, status, duration);
        // JSON when LATCHKEY_LOG_FORMAT=json.
        builder.Services.AddHttpLogging(o =>
        {
            o.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;
            o.CombineLogs = true;
        });
        if (string.Equals(builder.Configuration["LATCHKEY_LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.UseUtcTimestamp = true);
        }
        return builder;
    }

    /// <summary>
    /// The request log, off unless LATCHKEY_REQUEST_LOG=true (as Keycloak's HTTP access log and
    /// Kestrel's own): a line per request costs about a fifth of JWKS throughput in the console
    /// logger's lock, and the reverse proxy in front usually keeps the access log already.
    /// </summary>
    public static WebApplication UseRequestLog(this WebApplication app)
    {
        if (app.Configuration.GetValue("LATCHKEY_REQUEST_LOG", false))
        {
            app.UseHttpLogging();
        }
        return app;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).ExcludeFromDescription();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).ExcludeFromDescription();
        // Both in every environment: the reference of a self-hosted server's public API is public.
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapApiReference();
        return app;
    }
}
