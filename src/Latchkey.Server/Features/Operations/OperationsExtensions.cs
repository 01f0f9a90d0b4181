using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

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

        builder.Logging.AddLatchkeyConsole(builder.Configuration);
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
            app.UseMiddleware<RequestLog>();
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
