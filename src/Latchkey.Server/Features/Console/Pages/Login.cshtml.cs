using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Features.AdminConsole.Pages;

/// <summary>Console sign-in: app, handle and password, then a second factor when the user has one.</summary>
public sealed class LoginModel(ConsoleSignIn signIn) : PageModel
{
    [BindProperty, MaxLength(AppIds.MaxLength)] public string App { get; set; } = Latchkey.Server.Features.Apps.App.ConsoleId;
    [BindProperty] public string Handle { get; set; } = "";
    [BindProperty] public string Password { get; set; } = "";
    [BindProperty] public string? Ticket { get; set; }
    [BindProperty] public string? Method { get; set; }
    [BindProperty] public string? Code { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    [BindProperty(SupportsGet = true)] public string? Reason { get; set; }

    /// <summary>The second factors offered on the second step; null on the first step.</summary>
    public IReadOnlyList<string>? Methods { get; private set; }
    public string? Problem { get; private set; }
    public string? Notice { get; private set; }

    public IActionResult OnGet()
    {
        if (User.Identity is { IsAuthenticated: true, AuthenticationType: ConsoleAuthentication.Scheme })
        {
            return LocalRedirect(Destination);
        }
        Notice = Reason switch
        {
            ConsoleAuthentication.EndReasons.Ended => "Your console session has ended: it was signed out, revoked or has expired. Sign in again.",
            ConsoleAuthentication.EndReasons.Disabled => "This account has been disabled.",
            ConsoleAuthentication.EndReasons.Network => "This network is outside the IP ranges of the app you signed in through.",
            ConsoleAuthentication.EndReasons.Access => "This account may no longer use the console.",
            ConsoleAuthentication.EndReasons.SignedOut => "You are signed out.",
            _ => null,
        };
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrWhiteSpace(App))
        {
            ModelState.AddModelError("app", "Enter the app you sign in through: console for super admins, your app's id for app admins.");
        }
        if (string.IsNullOrWhiteSpace(Handle))
        {
            ModelState.AddModelError("handle", "Enter your email address or user name.");
        }
        if (string.IsNullOrEmpty(Password))
        {
            ModelState.AddModelError("password", "Enter your password.");
        }
        if (ModelState.ErrorCount > 0)
        {
            return Refused(StatusCodes.Status400BadRequest, "Some fields are missing.");
        }
        return await AnswerAsync(() => signIn.PasswordAsync(App, Handle.Trim(), Password, HttpContext.RequestAborted));
    }

    public async Task<IActionResult> OnPostSecondFactorAsync()
    {
        if (string.IsNullOrEmpty(Ticket))
        {
            return RedirectToPage();
        }
        if (string.IsNullOrWhiteSpace(Code))
        {
            ModelState.AddModelError("code", "Enter the code.");
            Methods = ConsoleSignIn.FormMethods;
            return Refused(StatusCodes.Status400BadRequest, "The code is missing.");
        }
        var ticket = Ticket;
        return await AnswerAsync(() => signIn.SecondFactorAsync(ticket, Method ?? "totp", Code.Trim(), HttpContext.RequestAborted), ticket);
    }

    public async Task<IActionResult> OnPostSmsAsync()
    {
        if (string.IsNullOrEmpty(Ticket))
        {
            return RedirectToPage();
        }
        Methods = ConsoleSignIn.FormMethods;
        try
        {
            var expiresIn = await signIn.SendSmsAsync(Ticket, HttpContext.RequestAborted);
            Method = "sms";
            Notice = $"A code is on its way to your phone; it lives {ConsoleView.Duration(expiresIn)}.";
            return Page();
        }
        catch (ProblemException problem)
        {
            return Refused(problem.Status, problem.Message);
        }
    }

    private async Task<IActionResult> AnswerAsync(Func<Task<ConsoleSignIn.Outcome>> step, string? ticket = null)
    {
        ConsoleSignIn.Outcome outcome;
        try
        {
            outcome = await step();
        }
        catch (ProblemException problem)
        {
            // A wrong code keeps the second step open while the sign-in has tries left.
            if (ticket is not null && problem.Code == "code_invalid" && problem.Extensions.ContainsKey("attemptsLeft"))
            {
                Methods = ConsoleSignIn.FormMethods;
                ModelState.AddModelError("code", problem.Message);
            }
            else
            {
                Ticket = null;
                if (problem.Extensions.TryGetValue("errors", out var value) && value is IDictionary<string, string[]> errors)
                {
                    foreach (var (field, messages) in errors)
                    {
                        ModelState.AddModelError(field, messages[0]);
                    }
                }
            }
            var retry = problem.RetryAfterSeconds is { } seconds ? $" Try again in {ConsoleView.Duration(seconds)}." : "";
            return Refused(problem.Status, problem.Message + retry);
        }
        switch (outcome)
        {
            case ConsoleSignIn.SignedIn signedIn:
                await HttpContext.SignInAsync(ConsoleAuthentication.Scheme, signedIn.Principal,
                    new AuthenticationProperties { IsPersistent = false, AllowRefresh = false });
                return LocalRedirect(Destination);
            case ConsoleSignIn.SecondFactorNeeded needed:
                Ticket = needed.Ticket;
                Methods = needed.Methods;
                Method = needed.Methods.FirstOrDefault();
                if (needed.Methods.Count == 0)
                {
                    Ticket = null;
                    return Refused(StatusCodes.Status401Unauthorized,
                        "This account's second factor is a passkey, which the console cannot take yet. Use one of your recovery codes through the API, or ask another admin.");
                }
                return Page();
            default:
                throw new InvalidOperationException("Unknown sign-in outcome.");
        }
    }

    private PageResult Refused(int status, string message)
    {
        Problem = message;
        Password = "";
        Response.StatusCode = status;
        return Page();
    }

    /// <summary>Where to go once signed in: back to a console page, never to another site.</summary>
    private string Destination =>
        ReturnUrl is { } url && Url.IsLocalUrl(url) && url.StartsWith("/console", StringComparison.Ordinal) && !url.StartsWith(ConsoleAuthentication.LoginPath, StringComparison.Ordinal)
            ? url
            : "/console";

    public string? ErrorFor(string key) =>
        ModelState.TryGetValue(key, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;
}
