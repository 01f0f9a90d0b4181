using Latchkey.Server.Features.Home;
using Latchkey.Server.Infrastructure.Http;

namespace Latchkey.Server.Features.Setup;

/// <summary>
/// What the setup link shows: the form while its token can be used, a page saying why not
/// otherwise, and where to go next. Plain HTML forms, no script.
/// </summary>
internal static class SetupPage
{
    public static IResult Form(string token, string? email = null, string? error = null) => StyledPage.Render("Create the first super admin", $"""
        {(error is null ? "" : $"""
            <div class="error-summary" role="alert" tabindex="-1"><h2>That did not work</h2><p>{HtmlPages.Encode(error)}</p></div>
            """)}
        <p>This link was printed when the server started. It works once: the super admin you create here signs in to the
        admin console and creates your apps.</p>
        <form method="post" action="setup" class="card">
        <input type="hidden" name="token" value="{HtmlPages.Encode(token)}">
        <div class="field">
        <label for="f-email">Email</label>
        <input id="f-email" name="email" type="email" autocomplete="username" autocapitalize="none" spellcheck="false" required value="{HtmlPages.Encode(email)}">
        </div>
        <div class="field">
        <label for="f-password">Password</label>
        <p class="hint" id="f-password-hint">At least 8 characters, and not a common password; a passphrase is best.</p>
        <input id="f-password" name="password" type="password" autocomplete="new-password" minlength="8" required aria-describedby="f-password-hint">
        </div>
        <button type="submit">Create the super admin</button>
        </form>
        """, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);

    public static IResult Unusable() => StyledPage.Render("This setup link cannot be used", """
        <div class="error-summary" role="alert"><h2>The link is unknown, used or expired</h2>
        <p>A setup link works once, for 24 hours, and only the one the server printed last.</p></div>
        <section class="card">
        <h2>Get a fresh link</h2>
        <ul>
        <li>Restart the server: while it has no super admin, every start prints a new link
        (<code>Latchkey has no super admin yet. Create one within 24 hours at: …/setup?token=…</code>).</li>
        <li>Or start it once with <code>LATCHKEY_ADMIN_EMAIL</code> and <code>LATCHKEY_ADMIN_PASSWORD</code> set:
        it then creates the first super admin itself.</li>
        </ul>
        </section>
        """, StatusCodes.Status400BadRequest);

    public static IResult AlreadyDone() => StyledPage.Render("Setup is already done", """
        <p class="notice" role="status">This server has its super admin, so setup links no longer do anything.</p>
        <p><a class="button" href="/console/login">Sign in to the admin console</a></p>
        <p class="muted">Super admins sign in with the app <code>console</code>. More admins are added in the console.</p>
        """);

    public static IResult Done(string email) => StyledPage.Render("Setup is done", $"""
        <p class="notice" role="status"><strong>{HtmlPages.Encode(email)}</strong> is the super admin.</p>
        <p><a class="button" href="/console/login">Sign in to the admin console</a></p>
        <p class="muted">Sign in with the app <code>console</code>, this email and the password you just chose.</p>
        """);
}
