using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

public abstract class ConsoleSignInTests(ServerFixture fixture) : ConsoleTest(fixture)
{
    [Theory]
    [InlineData("/console")]
    [InlineData("/console/apps/console")]
    [InlineData("/console/apps/console/users")]
    [InlineData("/console/apps/console/audit")]
    public async Task A_visitor_without_the_cookie_is_sent_to_the_login_page(string path)
    {
        using var browser = Browser();

        var page = await browser.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.Contains("/console/login?returnUrl=" + Uri.EscapeDataString(path), page.Location);
    }

    [Fact]
    public async Task A_wrong_password_shows_a_readable_message_and_no_cookie()
    {
        using var browser = Browser();

        var page = await browser.SignInAsync("console", LatchkeyFactory.AdminEmail, "not the password at all", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, page.Status);
        AssertReadable(page);
        Assert.Contains("The handle or the password is wrong.", page.Html);
        Assert.DoesNotContain(page.Response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.Contains("latchkey-console="));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/console", Ct)).Status);
    }

    [Fact]
    public async Task An_unknown_app_is_named_next_to_the_app_field()
    {
        using var browser = Browser();

        var page = await browser.SignInAsync("no-such-app", LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        AssertReadable(page);
        Assert.Equal("Error: There is no app 'no-such-app'.", page.TextOf("f-app-error"));
    }

    [Fact]
    public async Task The_super_admin_signs_in_and_lands_on_the_apps_list()
    {
        var app = await CreateAppAsync();
        using var browser = Browser();

        var answer = await browser.SignInAsync("console", LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword, Ct);
        var apps = await browser.GetAsync(answer.Location!, Ct);

        Assert.Equal("/console", answer.Location);
        Assert.Equal(HttpStatusCode.OK, apps.Status);
        Assert.Contains($"href=\"/console/apps/{app}/dashboard\"", apps.Html);
        Assert.Contains("Super admin", apps.Html);
    }

    [Fact]
    public async Task Signing_in_returns_to_the_page_asked_for_but_never_to_another_site()
    {
        using var browser = Browser();
        var login = await browser.GetAsync("/console/login?returnUrl=%2Fconsole%2Fapps%2Fconsole%2Fusers", Ct);
        var back = await browser.SubmitAsync(login, null, f => f.Set("handle", LatchkeyFactory.AdminEmail).Set("password", LatchkeyFactory.AdminPassword), Ct);
        Assert.Equal("/console/apps/console/users", back.Location);

        using var other = Browser();
        var evil = await other.GetAsync("/console/login?returnUrl=https%3A%2F%2Fevil.example%2F", Ct);
        var home = await other.SubmitAsync(evil, null, f => f.Set("handle", LatchkeyFactory.AdminEmail).Set("password", LatchkeyFactory.AdminPassword), Ct);
        Assert.Equal("/console", home.Location);
    }

    [Fact]
    public async Task A_plain_user_cannot_sign_in_to_the_console()
    {
        var app = await CreateAppAsync();
        var (email, _) = await CreateUserAsync(app);
        using var browser = Browser();

        var page = await browser.SignInAsync(app, email, GoodPassword, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, page.Status);
        AssertReadable(page);
        Assert.Contains("This account cannot use the console", page.Html);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync($"/console/apps/{app}", Ct)).Status);
    }

    [Fact]
    public async Task A_console_sign_in_is_a_real_session_the_user_sees_and_signing_out_ends_it()
    {
        var app = await CreateAppAsync();
        var signedIn = await AppAdminAsync(app);
        using var browser = signedIn.Browser;
        var email = signedIn.Email;
        var api = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        var access = Str(api, "access_token");
        var sessions = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", access));
        var console = sessions.Single(s => s!["device"]?["name"]?.GetValue<string>() == "Latchkey console");

        var settings = await browser.GetAsync("/console/apps/" + app, Ct);
        var logout = await browser.SendAsync(settings, settings.FormTo("/console/logout"), Ct);

        Assert.Equal(HttpStatusCode.Redirect, logout.Status);
        Assert.Contains("/console/login?reason=signedout", logout.Location);
        var after = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", access));
        Assert.DoesNotContain(after, s => Str(s, "id") == Str(console, "id"));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync($"/console/apps/{app}", Ct)).Status);
    }

    [Fact]
    public async Task Revoking_the_console_session_through_the_API_signs_the_cookie_out_at_once()
    {
        var app = await CreateAppAsync();
        var signedIn = await AppAdminAsync(app);
        using var browser = signedIn.Browser;
        var email = signedIn.Email;
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/console/apps/{app}", Ct)).Status);
        var access = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword })), "access_token");
        var sessions = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", access));
        var console = Str(sessions.Single(s => s!["device"]?["name"]?.GetValue<string>() == "Latchkey console"), "id");

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/apps/{app}/me/sessions/{console}", access)).StatusCode);
        var page = await browser.GetAsync($"/console/apps/{app}", Ct);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.Contains("reason=ended", page.Location);
        var login = await browser.GetAsync(page.Location!, Ct);
        Assert.Contains("Your console session has ended", login.Html);
    }

    [Fact]
    public async Task An_admin_revoke_and_a_disabled_account_sign_the_cookie_out()
    {
        var app = await CreateAppAsync();
        var signedIn = await AppAdminAsync(app);
        using var browser = signedIn.Browser;
        var id = signedIn.Id;
        var other = await AppAdminAsync(app);
        using var second = other.Browser;
        var secondId = other.Id;
        var admin = await AdminTokenAsync();

        await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users/{id}/sessions/revoke", new { }, admin));
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{secondId}", new { disabled = true }, admin));

        Assert.Contains("reason=ended", (await browser.GetAsync($"/console/apps/{app}", Ct)).Location);
        Assert.Contains("reason=", (await second.GetAsync($"/console/apps/{app}", Ct)).Location);
    }

    [Fact]
    public async Task The_cookie_ends_after_twelve_hours_however_much_it_is_used()
    {
        var app = await CreateAppAsync(new { refreshTokenLifetimeSeconds = 30 * 86_400 });
        var signedIn = await AppAdminAsync(app);
        using var browser = signedIn.Browser;
        Factory.Clock.Advance(TimeSpan.FromHours(11));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/console/apps/{app}", Ct)).Status);

        Factory.Clock.Advance(TimeSpan.FromHours(1.5));

        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync($"/console/apps/{app}", Ct)).Status);
        // The session behind the cookie ended with it: the user's session list no longer shows it.
        var access = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = signedIn.Email, password = GoodPassword })), "access_token");
        var sessions = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", access));
        Assert.DoesNotContain(sessions, s => s!["device"]?["name"]?.GetValue<string>() == "Latchkey console");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsoleSignInTests_Sqlite(SqliteServer server) : ConsoleSignInTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ConsoleSignInTests_Postgres(PostgresServer server) : ConsoleSignInTests(server);
