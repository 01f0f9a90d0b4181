using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// Base of the signed-in console pages: the admin (resolved from the cookie on this request),
/// the same checks as the admin API (app, permission, second factor of admins), and the helpers
/// that call the admin API's own handlers and turn their problems into messages next to fields.
/// </summary>
public abstract class ConsolePageModel : PageModel
{
    private AdminCaller? _admin;

    public AdminCaller Admin => _admin ?? throw new InvalidOperationException("The admin is resolved before the handler runs.");

    protected CancellationToken Ct => HttpContext.RequestAborted;

    /// <summary>The admin API's handlers, for this request.</summary>
    protected AdminApi Api => S<AdminApi>();

    /// <summary>The summary line of the form problem shown on this page, when there is one.</summary>
    public string? ProblemDetail { get; private set; }

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        _admin = ConsoleAccess.Current(HttpContext);
        ViewData[ConsoleView.AdminKey] = _admin;
        // The admin API's rule for admins whose policy wants a second factor they have not enrolled.
        if (!ChecksSecondFactor)
        {
            await next();
            return;
        }
        var mfa = ActivatorUtilities.CreateInstance<AdminMfaFilter>(HttpContext.RequestServices);
        await mfa.InvokeAsync(new DefaultEndpointFilterInvocationContext(HttpContext), _ => ValueTask.FromResult<object?>(null));
        var executed = await next();
        if (executed.Exception is null && executed.Result is null or PageResult && ViewData[ConsoleView.AppIdKey] is string && _admin.IsSuperAdmin)
        {
            // The app switcher on every page of an app: a super admin may open any of them.
            ViewData[ConsoleView.AppsKey] = (await S<LatchkeyDbContext>().Apps.AsNoTracking().OrderBy(a => a.Name).ThenBy(a => a.Id)
                .Select(a => new { a.Id, a.Name }).Take(SwitcherSize).ToListAsync(Ct))
                .Select(a => (a.Id, a.Name)).ToList();
        }
    }

    /// <summary>How many apps the switcher lists; more are on the apps list.</summary>
    private const int SwitcherSize = 100;

    /// <summary>False for the pages an admin without a required second factor may still use (signing out).</summary>
    protected virtual bool ChecksSecondFactor => true;

    /// <summary>The admin API's checks for a route of <paramref name="appId"/> that declares <paramref name="permission"/>.</summary>
    protected void Require(string appId, string permission)
    {
        ViewData[ConsoleView.AppIdKey] = appId;
        Admin.EnsureCanManage(appId);
        Admin.EnsureCan(permission);
        // As the admin API's binding does: this page's queries see that app's rows only.
        S<LatchkeyDbContext>().TenantAppId = appId;
    }

    /// <summary>The app, with the request's queries scoped to it, as an app-scoped endpoint binds it.</summary>
    protected async Task<CurrentApp> CurrentAppAsync(string appId)
    {
        var db = S<LatchkeyDbContext>();
        var app = AppIds.IsValid(appId) ? await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, Ct) : null;
        if (app is null)
        {
            throw Problems.AppNotFound(appId);
        }
        db.TenantAppId = app.Id;
        ViewData[ConsoleView.AppNameKey] = app.Name;
        return new CurrentApp(app);
    }

    protected T S<T>() where T : notnull => HttpContext.RequestServices.GetRequiredService<T>();

    /// <summary>
    /// Runs a change; a problem that is about the input (400, 409, 429) becomes messages on this
    /// page (per field, with <paramref name="prefix"/> before the problem's field names) and false.
    /// Refusals (403, 404) go on to the problem page.
    /// </summary>
    protected async Task<bool> TryAsync(Func<Task> change, string prefix = "")
    {
        try
        {
            await change();
            return true;
        }
        catch (ProblemException problem) when (problem.Status is 400 or 401 or 409 or 413 or 423 or 429)
        {
            ShowProblem(problem, prefix);
            Response.StatusCode = problem.Status;
            return false;
        }
    }

    protected void ShowProblem(ProblemException problem, string prefix = "")
    {
        ProblemDetail = problem.Message;
        if (problem.Extensions.TryGetValue("errors", out var value) && value is IDictionary<string, string[]> errors && errors.Count > 0)
        {
            foreach (var (field, messages) in errors)
            {
                foreach (var message in messages)
                {
                    ModelState.AddModelError(prefix + field, message);
                }
            }
        }
        else
        {
            ModelState.AddModelError("", problem.Message);
        }
    }

    /// <summary>The data annotations of an admin API request record, checked as the API's edge checks them.</summary>
    protected static void Validate(object request)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(request, new ValidationContext(request), results, validateAllProperties: true))
        {
            var errors = results
                .SelectMany(r => r.MemberNames.DefaultIfEmpty("").Select(m => (Field: JsonNamingPolicy.CamelCase.ConvertName(m), Message: r.ErrorMessage ?? "Not valid.")))
                .GroupBy(e => e.Field)
                .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
            throw Problems.InvalidRequest("Some fields are not valid.", errors);
        }
    }

    /// <summary>An empty form field is an absent value.</summary>
    protected static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The first error of a field, for the message next to it.</summary>
    public string? ErrorFor(string key) =>
        ModelState.TryGetValue(key, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;
}
