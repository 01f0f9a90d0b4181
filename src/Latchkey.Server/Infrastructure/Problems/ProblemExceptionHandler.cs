using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Infrastructure.Problems;

/// <summary>
/// The one place where exceptions become problem+json: our own <see cref="ProblemException"/>,
/// and the framework's bad-request exceptions (malformed JSON, wrong types, oversized bodies).
/// Anything else is a 500 whose details stay in the log.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ProblemException known => known,
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                new ProblemException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "The request body is too large."),
            BadHttpRequestException { InnerException: System.Text.Json.JsonException { Path: { Length: > 2 } path } json } =>
                Problems.InvalidField(path.TrimStart('$', '.'), $"The request body is not valid JSON for this endpoint: {json.Message}"),
            BadHttpRequestException bad => Problems.InvalidRequest(DescribeBadRequest(bad)),
            _ => null,
        };
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            return false;
        }

        httpContext.Response.StatusCode = problem.Status;
        if (problem.RetryAfterSeconds is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        var details = new ProblemDetails
        {
            Status = problem.Status,
            Title = ProblemTitles.For(problem.Status),
            Detail = problem.Message,
        };
        details.Extensions["code"] = problem.Code;
        foreach (var (key, value) in problem.Extensions)
        {
            details.Extensions[key] = value;
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = details,
            Exception = exception,
        });
    }

    // Note: the framework's messages name our parameter types; the inner JSON exception says
    // where the body went wrong, which is what a client developer needs.
    private static string DescribeBadRequest(BadHttpRequestException bad) =>
        bad.InnerException is System.Text.Json.JsonException json
            ? $"The request body is not valid JSON for this endpoint: {json.Message}"
            : bad.Message;
}
