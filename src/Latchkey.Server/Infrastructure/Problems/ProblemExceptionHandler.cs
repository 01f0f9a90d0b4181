using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Infrastructure.Problems;

/// <summary>
/// The one place where exceptions become problem+json: our own <see cref="ProblemException"/>,
/// and whatever reading the request threw (<see cref="BadRequests"/>: malformed JSON, wrong
/// types, unreadable forms, oversized bodies), so that no input yields a 500. Anything else is a
/// 500 whose details stay in the log.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception as ProblemException ?? BadRequests.Describe(exception);
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
}
