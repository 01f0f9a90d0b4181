using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Core.Infrastructure;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>A refusal shown as a page: the problem's status, title and detail, in words.</summary>
public sealed record ConsoleProblem(int Status, string Code, string Title, string Detail);

/// <summary>
/// Shows a <see cref="ProblemException"/> a console page did not handle itself (403 for another
/// app's pages, 404 for an unknown user, …) as a readable page with the problem's status, and a
/// form the antiforgery check refused as a page that says what to do.
/// </summary>
public sealed class ConsoleProblemFilter : IAsyncExceptionFilter, IAsyncAlwaysRunResultFilter
{
    public const string ViewPath = "/Features/Console/Pages/Shared/Problem.cshtml";

    public Task OnExceptionAsync(ExceptionContext context)
    {
        if (context.Exception is ProblemException problem)
        {
            context.Result = View(context.HttpContext, context.ModelState,
                new ConsoleProblem(problem.Status, problem.Code, ProblemTitles.For(problem.Status), problem.Message));
            context.ExceptionHandled = true;
        }
        return Task.CompletedTask;
    }

    public async Task OnResultExecutionAsync(ResultExecutingContext context, ResultExecutionDelegate next)
    {
        if (context.Result is IAntiforgeryValidationFailedResult)
        {
            context.Result = View(context.HttpContext, context.ModelState, new ConsoleProblem(StatusCodes.Status400BadRequest, "invalid_request",
                "This form cannot be sent", "The form was out of date or did not come from this console. Reload the page and try again."));
        }
        await next();
    }

    private static ViewResult View(HttpContext http, ModelStateDictionary modelState, ConsoleProblem problem)
    {
        var metadata = http.RequestServices.GetRequiredService<IModelMetadataProvider>();
        return new ViewResult
        {
            ViewName = ViewPath,
            StatusCode = problem.Status,
            ViewData = new ViewDataDictionary<ConsoleProblem>(metadata, modelState) { Model = problem },
        };
    }
}
