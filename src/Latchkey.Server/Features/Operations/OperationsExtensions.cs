using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpLogging;

namespace Latchkey.Server.Features.Operations;

/// <summary>Health checks, the OpenAPI document and request logs (MISSION X2, X3).</summary>
public static class OperationsExtensions
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<LatchkeyDbContext>("database", tags: ["ready"])
            .AddDbContextCheck<KeyStoreDbContext>("keystore", tags: ["ready"]);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Latchkey";
            document.Info.Description = "Authentication and user management for mobile apps. Errors are application/problem+json with a stable `code`.";
            return Task.CompletedTask;
        }));

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
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }
}
