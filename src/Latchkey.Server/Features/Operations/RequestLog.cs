using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;

namespace Latchkey.Server.Features.Operations;

/// <summary>
/// The request log (LATCHKEY_REQUEST_LOG=true): one line per request with its method, the route
/// it matched (<c>/v1/apps/{appId}/me</c>, never the query string, where links carry their
/// one-time tokens), status, duration, app id and request id. A request no route matched logs
/// its path, still without the query string.
/// </summary>
public sealed partial class RequestLog(RequestDelegate next, ILogger<RequestLog> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // Note: a problem written by the exception handler cleared the endpoint and route values; its feature keeps them.
            var handled = context.Features.Get<IExceptionHandlerFeature>();
            var route = (context.GetEndpoint() as RouteEndpoint ?? handled?.Endpoint as RouteEndpoint)?.RoutePattern.RawText;
            var appId = context.GetRouteValue("appId") ?? handled?.RouteValues?.GetValueOrDefault("appId");
            Answered(logger, context.Request.Method, route ?? context.Request.Path.Value ?? "/", context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, appId as string ?? "-", context.TraceIdentifier);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "{Method} {Route} {StatusCode} in {DurationMs:0.0} ms (app {AppId}, request {RequestId})")]
    private static partial void Answered(ILogger logger, string method, string route, int statusCode, double durationMs, string appId, string requestId);
}
