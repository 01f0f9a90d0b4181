using System.Text;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Mfa;
using OpenIddict.Abstractions;
using static Latchkey.Server.Infrastructure.Http.HtmlPages;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The provider's sign-in page (API.md): plain HTML that works without script, phone-sized, with
/// visible labels. The form posts back to the authorization endpoint with the request's own
/// parameters, so nothing of the request is kept on the server between the two steps.
/// </summary>
public static class SignInPage
{
    /// <summary>The form's own fields; every other field is the authorization request's.</summary>
    public static class Fields
    {
        public const string Step = "lk_step";
        public const string Handle = "lk_handle";
        public const string Password = "lk_password";
        public const string MfaToken = "lk_mfa_token";
        public const string Method = "lk_method";
        public const string Code = "lk_code";
        /// <summary>The methods the second-factor step offers (shown only: the pending sign-in decides).</summary>
        public const string Methods = "lk_methods";
        /// <summary>ASP.NET Core antiforgery's form field (its default name, shared with the console).</summary>
        public const string Antiforgery = "__RequestVerificationToken";

        public static bool IsOwn(string name) => name.StartsWith("lk_", StringComparison.Ordinal) || name == Antiforgery;
    }

    public static class Steps
    {
        public const string Password = "password";
        public const string SecondFactor = "mfa";
    }

    public static IResult Password(App app, OpenIddictRequest request, string antiforgery, string? handle, string? error) =>
        Render($"Sign in to {app.Name}", $"""
            {Alert(error)}
            <form method="post" action="">
            {Carried(request, antiforgery, Steps.Password)}
            <label for="handle">{(app.Settings.UsernamesEnabled ? "Email or user name" : "Email")}</label>
            <input id="handle" name="{Fields.Handle}" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320" value="{Encode(handle)}">
            <label for="password">Password</label>
            <input id="password" name="{Fields.Password}" type="password" autocomplete="current-password" required maxlength="4096">
            <button type="submit">Sign in</button>
            </form>
            """, request, error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);

    public static IResult SecondFactor(App app, OpenIddictRequest request, string antiforgery, string mfaToken, IReadOnlyList<string> methods, string? error)
    {
        var codeMethods = methods.Where(m => m is MfaMethods.Totp or MfaMethods.Recovery).ToList();
        if (codeMethods.Count == 0)
        {
            return Render("Second factor needed", Alert(
                $"This account's second factor ({string.Join(", ", methods)}) cannot be given on this page; sign in from the app instead."),
                request, StatusCodes.Status403Forbidden);
        }
        var choices = new StringBuilder();
        foreach (var method in codeMethods)
        {
            var label = method == MfaMethods.Totp ? "A code from my authenticator app" : "A recovery code";
            var check = method == codeMethods[0] ? " checked" : "";
            choices.Append($"""<label><input type="radio" name="{Fields.Method}" value="{method}"{check} style="width:auto"> {label}</label>""");
        }
        return Render("Enter your second factor", $"""
            {Alert(error)}
            <form method="post" action="">
            {Carried(request, antiforgery, Steps.SecondFactor)}
            <input type="hidden" name="{Fields.MfaToken}" value="{Encode(mfaToken)}">
            <input type="hidden" name="{Fields.Methods}" value="{Encode(string.Join(',', methods))}">
            <fieldset><legend>I have</legend>{choices}</fieldset>
            <label for="code">Code</label>
            <input id="code" name="{Fields.Code}" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="64">
            <button type="submit">Sign in</button>
            </form>
            """, request, error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);
    }

    /// <summary>A request that cannot go back to its client (unknown client, redirect URI not registered): a page, never a redirect.</summary>
    public static IResult Refused(string error, string? description) =>
        Render("This sign-in cannot go on", $"""
            <p class="error" role="alert">{Encode(description ?? error)}</p>
            <p>The app that sent you here is not set up for this. Error: <code>{Encode(error)}</code>.</p>
            """, request: null, StatusCodes.Status400BadRequest);

    public static IResult SignedOut() => Render("You are signed out", "<p>You can close this page.</p>", request: null, StatusCodes.Status200OK);

    private static string Alert(string? error) => error is null ? "" : $"""<p class="error" role="alert">{Encode(error)}</p>""";

    /// <summary>The authorization request's parameters, carried through the form (the request is validated again on each post).</summary>
    private static string Carried(OpenIddictRequest request, string antiforgery, string step)
    {
        var html = new StringBuilder();
        foreach (var (name, value) in request.GetParameters())
        {
            if (!Fields.IsOwn(name) && (string?)value is { } text)
            {
                html.Append($"""<input type="hidden" name="{Encode(name)}" value="{Encode(text)}">""");
            }
        }
        html.Append($"""<input type="hidden" name="{Fields.Antiforgery}" value="{Encode(antiforgery)}">""");
        html.Append($"""<input type="hidden" name="{Fields.Step}" value="{step}">""");
        return html.ToString();
    }

    /// <summary>
    /// The shared page frame, with one change to its policy: a successful post redirects to the
    /// client's redirect URI, which browsers check against <c>form-action</c>, so its origin (or
    /// private-use scheme) is allowed there too. The redirect URI was checked against the client's
    /// registration before any page is shown.
    /// </summary>
    private static IResult Render(string title, string body, OpenIddictRequest? request, int status) =>
        new RedirectingForm(Page(title, body, status), FormAction(request?.RedirectUri));

    private static string FormAction(string? redirectUri)
    {
        if (redirectUri is null || !Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri))
        {
            return "'self'";
        }
        var source = uri.Scheme is "http" or "https" ? uri.GetLeftPart(UriPartial.Authority) : uri.Scheme + ":";
        return source.Any(c => c is ' ' or ';' or ',' or '\'' ) ? "'self'" : $"'self' {source}";
    }

    private sealed class RedirectingForm(IResult page, string formAction) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.ContentSecurityPolicy =
                    $"default-src 'none'; style-src 'unsafe-inline'; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
                return Task.CompletedTask;
            });
            await page.ExecuteAsync(context);
        }
    }
}
