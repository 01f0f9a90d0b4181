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
public static partial class SignInPage
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
        /// <summary>The code sign-in's challenge (its code decides; the id alone signs nobody in).</summary>
        public const string Challenge = "lk_challenge";
        public const string NewPassword = "lk_new_password";
        public const string Username = "lk_username";
        /// <summary>The passkey ceremony the page's script started, and the assertion it got (PublicKeyCredential.toJSON()).</summary>
        public const string Ceremony = "lk_ceremony";
        public const string Assertion = "lk_assertion";
        /// <summary>How the first factor was given, sealed to the pending second-factor sign-in (<see cref="FirstFactorSeal"/>).</summary>
        public const string FirstFactor = "lk_first";
        /// <summary>The methods the second-factor step offers (shown only: the pending sign-in decides).</summary>
        public const string Methods = "lk_methods";
        /// <summary>ASP.NET Core antiforgery's form field (its default name, shared with the console).</summary>
        public const string Antiforgery = "__RequestVerificationToken";

        public static bool IsOwn(string name) => name.StartsWith("lk_", StringComparison.Ordinal) || name == Antiforgery;
    }

    /// <summary>
    /// What a post asks for. The form's hidden step is its default; a second button (a code instead of
    /// the password, password recovery) names its own, which the browser sends after the hidden one.
    /// </summary>
    public static class Steps
    {
        public const string Start = "start";
        public const string Password = "password";
        public const string SecondFactor = "mfa";
        public const string SendCode = "code-send";
        public const string Code = "code";
        public const string Recover = "recover";
        public const string SendRecovery = "recover-send";
        public const string RecoveryCode = "recover-code";
        public const string SignUp = "signup";
        public const string CreateAccount = "signup-send";
        public const string SignUpCode = "signup-code";
        public const string Passkey = "passkey";

        public static readonly string[] All =
            [Start, Password, SecondFactor, SendCode, Code, Recover, SendRecovery, RecoveryCode, SignUp, CreateAccount, SignUpCode, Passkey];
    }

    /// <summary>
    /// The first page: the handle, and the password where the app signs in with one; a button for a
    /// code by email or SMS where the app sends them (an unknown address then signs up, where the app
    /// lets people), and one for password recovery.
    /// </summary>
    public static IResult Password(App app, OpenIddictRequest request, string antiforgery, SignInText text, string? handle, string? error, string? notice = null)
    {
        var settings = app.Settings;
        var password = settings.Allows(SignInMethods.Password);
        var codes = CodeChannels(app);
        var form = new StringBuilder();
        form.Append($"""
            <form method="post" action="">
            {Carried(request, antiforgery, password ? Steps.Password : Steps.SendCode)}
            <label for="handle">{HandleLabel(app)}</label>
            <input id="handle" name="{Fields.Handle}" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320" value="{Encode(handle)}">
            """);
        if (password)
        {
            form.Append($"""
                <label for="password">Password</label>
                <input id="password" name="{Fields.Password}" type="password" autocomplete="current-password" required maxlength="4096">
                <button type="submit">Sign in</button>
                """);
            if (codes is not null)
            {
                form.Append($"""<button type="submit" class="secondary" name="{Fields.Step}" value="{Steps.SendCode}" formnovalidate>{codes} instead</button>""");
            }
            form.Append($"""<button type="submit" class="link" name="{Fields.Step}" value="{Steps.Recover}" formnovalidate>Forgot your password?</button>""");
            if (settings.SelfSignupAllowed)
            {
                form.Append($"""<button type="submit" class="link" name="{Fields.Step}" value="{Steps.SignUp}" formnovalidate>New here? Create an account</button>""");
            }
        }
        else
        {
            form.Append($"""<button type="submit">{codes ?? "Send me a sign-in code"}</button>""");
        }
        form.Append(PasskeyButton(app)).Append("</form>");
        if (settings.SelfSignupAllowed && codes is not null && !password)
        {
            form.Append($"""<p>New here? {(codes.Contains("Text", StringComparison.Ordinal) ? "Give your email or phone" : "Give your email")} and get a code: your account is made when you enter it.</p>""");
        }
        var intro = text.Intro is null ? "" : $"<p>{Encode(text.Intro)}</p>";
        var nonce = Infrastructure.Crypto.Secrets.NewToken(16);
        return Render(text.Heading, intro + Alert(error) + Notice(notice) + form + PasskeyScript(nonce), request,
            error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized, nonce);
    }

    /// <summary>After a code was sent (<paramref name="expiresIn"/> seconds it works; null when it is asked for again): the code, and a button for a new one.</summary>
    public static IResult CodeEntry(App app, OpenIddictRequest request, string antiforgery, Guid challengeId, string handle, int? expiresIn, string? error) =>
        Render("Enter your code", $"""
            {Alert(error)}
            <p role="status">If {Encode(handle)} can get codes from {Encode(app.Name)}, one is on its way.{WorksFor(expiresIn)}</p>
            <form method="post" action="">
            {Carried(request, antiforgery, Steps.Code)}
            <input type="hidden" name="{Fields.Challenge}" value="{challengeId}">
            <input type="hidden" name="{Fields.Handle}" value="{Encode(handle)}">
            <label for="code">Code</label>
            <input id="code" name="{Fields.Code}" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="16">
            <button type="submit">Sign in</button>
            <button type="submit" class="link" name="{Fields.Step}" value="{Steps.SendCode}" formnovalidate>Send a new code</button>
            </form>
            """, request, error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);

    /// <summary>Password recovery, first step: the email to send the app's reset code or link to.</summary>
    public static IResult Recover(App app, OpenIddictRequest request, string antiforgery, string? handle, string? error) =>
        Render("Reset your password", $"""
            {Alert(error)}
            <form method="post" action="">
            {Carried(request, antiforgery, Steps.SendRecovery)}
            <label for="handle">Email</label>
            <input id="handle" name="{Fields.Handle}" type="email" autocomplete="email" required maxlength="320" value="{Encode(handle is not null && handle.Contains('@') ? handle : null)}">
            <button type="submit">Send me a reset {(app.Settings.PasswordRecovery == RecoveryFlows.Link ? "link" : "code")}</button>
            <button type="submit" class="link" name="{Fields.Step}" value="{Steps.Start}" formnovalidate>Back to sign-in</button>
            </form>
            """, request, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);

    /// <summary>Password recovery, second step: the code and the new password (a reset link is opened from the email instead).</summary>
    public static IResult RecoveryCode(App app, OpenIddictRequest request, string antiforgery, string email, string? error) =>
        app.Settings.PasswordRecovery == RecoveryFlows.Link
            ? Render("Check your email", $"""
                <p role="status">If {Encode(email)} has an account at {Encode(app.Name)}, a link to choose a new password is on its way. Open it, then sign in here.</p>
                <form method="post" action="">
                {Carried(request, antiforgery, Steps.Start)}
                <input type="hidden" name="{Fields.Handle}" value="{Encode(email)}">
                <button type="submit">Back to sign-in</button>
                </form>
                """, request, StatusCodes.Status200OK)
            : Render("Choose a new password", $"""
                {Alert(error)}
                <p role="status">If {Encode(email)} has an account at {Encode(app.Name)}, a code is on its way.</p>
                <form method="post" action="">
                {Carried(request, antiforgery, Steps.RecoveryCode)}
                <input type="hidden" name="{Fields.Handle}" value="{Encode(email)}">
                <label for="code">Code</label>
                <input id="code" name="{Fields.Code}" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="16">
                <label for="new-password">New password</label>
                <input id="new-password" name="{Fields.NewPassword}" type="password" autocomplete="new-password" required maxlength="4096">
                <button type="submit">Set the new password</button>
                <button type="submit" class="link" name="{Fields.Step}" value="{Steps.Start}" formnovalidate>Back to sign-in</button>
                </form>
                """, request, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);

    private static string HandleLabel(App app, bool withUsername = true)
    {
        var kinds = new List<string> { "Email" };
        if (app.Settings.Allows(SignInMethods.SmsCode))
        {
            kinds.Add("phone");
        }
        if (withUsername && app.Settings.UsernamesEnabled && app.Settings.Allows(SignInMethods.Password))
        {
            kinds.Add("user name");
        }
        return kinds.Count == 1 ? kinds[0] : string.Join(", ", kinds[..^1]) + " or " + kinds[^1];
    }

    /// <summary>The code button's words for the app's code methods, or null when it sends none.</summary>
    private static string? CodeChannels(App app) =>
        (app.Settings.Allows(SignInMethods.EmailCode), app.Settings.Allows(SignInMethods.SmsCode)) switch
        {
            (true, true) => "Email or text me a code",
            (true, false) => "Email me a code",
            (false, true) => "Text me a code",
            _ => null,
        };

    public static IResult SecondFactor(App app, OpenIddictRequest request, string antiforgery, string mfaToken, IReadOnlyList<string> methods,
        string firstFactor, string? error)
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
            <input type="hidden" name="{Fields.FirstFactor}" value="{Encode(firstFactor)}">
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

    /// <summary>" It works for 10 minutes." as people say it, or nothing when the page does not know.</summary>
    private static string WorksFor(int? seconds) =>
        seconds is { } s ? $" It works for {Delivery.TemplateText.Readable(TimeSpan.FromSeconds(s))}." : "";

    private static string Notice(string? notice) => notice is null ? "" : $"""<p role="status">{Encode(notice)}</p>""";

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
    private static IResult Render(string title, string body, OpenIddictRequest? request, int status, string? scriptNonce = null) =>
        new RedirectingForm(Page(title, body, status), FormAction(request?.RedirectUri), scriptNonce);

    private static string FormAction(string? redirectUri)
    {
        if (redirectUri is null || !Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri))
        {
            return "'self'";
        }
        var source = uri.Scheme is "http" or "https" ? uri.GetLeftPart(UriPartial.Authority) : uri.Scheme + ":";
        return source.Any(c => c is ' ' or ';' or ',' or '\'' ) ? "'self'" : $"'self' {source}";
    }

    private sealed class RedirectingForm(IResult page, string formAction, string? scriptNonce) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            // Note: the first page's one script (the passkey button) by nonce; it talks only to this origin.
            var script = scriptNonce is null ? "" : $"script-src 'nonce-{scriptNonce}'; connect-src 'self'; ";
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.ContentSecurityPolicy =
                    $"default-src 'none'; {script}style-src 'unsafe-inline'; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
                return Task.CompletedTask;
            });
            await page.ExecuteAsync(context);
        }
    }
}
