using Latchkey.Server.Features.Apps;
using OpenIddict.Abstractions;
using static Latchkey.Server.Infrastructure.Http.HtmlPages;

namespace Latchkey.Server.Features.Oidc;

/// <summary>The sign-in page's sign-up steps, where the app lets people sign up: the form, then the app's flow.</summary>
public static partial class SignInPage
{
    public static IResult SignUp(App app, OpenIddictRequest request, string antiforgery, string? handle, string? username, string? error) =>
        Render($"Create your {app.Name} account", $"""
            {Alert(error)}
            <form method="post" action="">
            {Carried(request, antiforgery, Steps.CreateAccount)}
            <label for="handle">{HandleLabel(app, withUsername: false)}</label>
            <input id="handle" name="{Fields.Handle}" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320" value="{Encode(handle)}">
            {(app.Settings.UsernamesEnabled ? $"""
                <label for="username">User name (optional)</label>
                <input id="username" name="{Fields.Username}" type="text" autocomplete="nickname" autocapitalize="none" spellcheck="false" maxlength="200" value="{Encode(username)}">
                """ : "")}
            <label for="new-password">Password</label>
            <input id="new-password" name="{Fields.NewPassword}" type="password" autocomplete="new-password" required maxlength="4096">
            <button type="submit">Create the account</button>
            <button type="submit" class="link" name="{Fields.Step}" value="{Steps.Start}" formnovalidate>I have an account: sign in</button>
            </form>
            """, request, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);

    /// <summary>
    /// A registered app's sign-up waits for its code (entered here) or its link (opened from the message);
    /// <paramref name="expiresIn"/> is null when the code is asked for again.
    /// </summary>
    public static IResult SignUpPending(App app, OpenIddictRequest request, string antiforgery, Guid verificationId, string flow, int? expiresIn,
        string handle, string? error) =>
        flow == SignupFlows.Link
            ? Render("Check your messages", $"""
                <p role="status">A link to finish your {Encode(app.Name)} account is on its way to {Encode(handle)}. Open it, then sign in here.</p>
                <form method="post" action="">
                {Carried(request, antiforgery, Steps.Start)}
                <input type="hidden" name="{Fields.Handle}" value="{Encode(handle)}">
                <button type="submit">Back to sign-in</button>
                </form>
                """, request, StatusCodes.Status200OK)
            : Render("Enter your code", $"""
                {Alert(error)}
                <p role="status">A code to finish your {Encode(app.Name)} account is on its way to {Encode(handle)}.{WorksFor(expiresIn)}</p>
                <form method="post" action="">
                {Carried(request, antiforgery, Steps.SignUpCode)}
                <input type="hidden" name="{Fields.Challenge}" value="{verificationId}">
                <input type="hidden" name="{Fields.Handle}" value="{Encode(handle)}">
                <label for="code">Code</label>
                <input id="code" name="{Fields.Code}" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="16">
                <button type="submit">Finish</button>
                </form>
                """, request, error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);
}
