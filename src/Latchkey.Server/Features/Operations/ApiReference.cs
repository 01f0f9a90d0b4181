using Scalar.AspNetCore;

namespace Latchkey.Server.Features.Operations;

/// <summary>
/// The API reference page at <c>/docs</c> (Scalar), over <c>/openapi/v1.json</c>. Everything it
/// loads comes from this server: Scalar's script is served from the package (no CDN), the
/// fonts are the system's, and nothing is sent to Scalar (no telemetry, no proxy, no AI agent,
/// no hosted tools), so the page works on a machine without internet access.
/// </summary>
public static class ApiReference
{
    public const string Path = "/docs";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapScalarApiReference(Path, o => o
            .WithTitle("Latchkey API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddDocument("v1")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideDeveloperTools())
            .ExcludeFromDescription();
        return app;
    }
}
