using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

public abstract class ConsoleUsersTests(ServerFixture fixture) : ConsoleTest(fixture)
{
    [Fact]
    public async Task Every_console_page_renders_for_the_super_admin()
    {
        var app = await CreateAppAsync();
        var (_, userId) = await CreateUserAsync(app);
        using var browser = await SuperAdminAsync();

        foreach (var path in new[] { "/console", $"/console/apps/{app}", $"/console/apps/{app}/dashboard", $"/console/apps/{app}/users", $"/console/apps/{app}/users/{userId}",
                     $"/console/apps/{app}/users?anonymous=true", $"/console/apps/{app}/roles", $"/console/apps/{app}/clients", $"/console/apps/{app}/outbox", $"/console/apps/{app}/audit",
                     $"/console?delete={app}", $"/console/apps/{app}/users/{userId}?delete=true" })
        {
            var page = await browser.GetAsync(path, Ct);
            Assert.True(page.Status == HttpStatusCode.OK, $"{path} answered {(int)page.Status}: {page.Html}");
            Assert.Contains("<html lang=\"en\">", page.Html);
            Assert.Contains("<meta name=\"viewport\"", page.Html);
            Assert.Contains("<h1>", page.Html);
            Assert.Contains("href=\"#main\"", page.Html);
            Assert.True(!page.Html.Contains("error-summary", StringComparison.Ordinal), $"{path} shows a problem: {page.Html}");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/console/apps/{app}/users/{Guid.NewGuid()}", Ct)).Status);
    }

    [Fact]
    public async Task The_user_list_pages_through_every_user_once()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var emails = new List<string>();
        for (var i = 0; i < 27; i++)
        {
            var email = NewEmail($"u{i:00}");
            await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users", new { email }, admin));
            emails.Add(email);
        }
        using var browser = await SuperAdminAsync();

        var first = await browser.GetAsync($"/console/apps/{app}/users", Ct);
        var second = await browser.GetAsync($"/console/apps/{app}/users?p=2", Ct);

        Assert.Contains("rel=\"next\"", first.Html);
        Assert.DoesNotContain("rel=\"prev\"", first.Html);
        Assert.Contains("rel=\"prev\"", second.Html);
        Assert.DoesNotContain("rel=\"next\"", second.Html);
        Assert.All(emails, e => Assert.True(first.Html.Contains(e) ^ second.Html.Contains(e), $"{e} is not on exactly one page"));
    }

    [Fact]
    public async Task An_admin_finds_creates_disables_and_erases_a_user()
    {
        var app = await CreateAppAsync();
        var signedIn = await AppAdminAsync(app);
        using var browser = signedIn.Browser;
        var users = await browser.GetAsync($"/console/apps/{app}/users", Ct);
        var email = NewEmail("made");

        var created = await browser.SubmitAsync(users, "Create", f => f.Set("email", email).Set("password", GoodPassword).Set("emailVerified", "true"), Ct);

        Assert.Equal(HttpStatusCode.Redirect, created.Status);
        var userPage = await browser.GetAsync(created.Location!, Ct);
        Assert.Contains("The user is created.", userPage.Html);
        Assert.Contains(email, userPage.Html);
        var found = await browser.GetAsync($"/console/apps/{app}/users?q={Uri.EscapeDataString(email.ToUpperInvariant())}", Ct);
        Assert.Contains(email, found.Html);
        var weak = await browser.SubmitAsync(users, "Create", f => f.Set("email", NewEmail()).Set("password", "short"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, weak.Status);
        Assert.NotNull(weak.TextOf("f-password-error"));

        var disabled = await browser.SubmitAsync(userPage, "Disabled", null, Ct);
        Assert.Contains("done=disabled", disabled.Location);
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }), HttpStatusCode.Forbidden, "user_disabled");

        var id = created.Location!.Split('/').Last().Split('?')[0];
        var confirm = await browser.GetAsync($"/console/apps/{app}/users/{id}?delete=true", Ct);
        var erased = await browser.SubmitAsync(confirm, "Delete", null, Ct);
        Assert.Equal($"/console/apps/{app}/users?done=deleted", erased.Location);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/v1/admin/apps/{app}/users/{id}", await AdminTokenAsync())).StatusCode);
    }

    [Fact]
    public async Task A_password_reset_in_the_console_ends_the_users_sessions()
    {
        var app = await CreateAppAsync();
        var (email, id) = await CreateUserAsync(app);
        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct);

        var reset = await browser.SubmitAsync(page, "Password", f => f.Set("newPassword", "another good long passphrase"), Ct);

        Assert.Contains("done=password", reset.Location);
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }), HttpStatusCode.Unauthorized, "session_revoked");
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = "another good long passphrase" }));
    }

    [Fact]
    public async Task Revoking_one_session_kills_its_refresh_token_and_is_on_the_audit_trail()
    {
        var app = await CreateAppAsync();
        var (email, id) = await CreateUserAsync(app);
        var phone = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword, device = new { name = "Pixel 9", platform = "android" } }));
        var laptop = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword, device = new { name = "Laptop" } }));
        using var browser = await SuperAdminAsync();
        var page = await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct);
        Assert.Contains("Pixel 9 · android", System.Net.WebUtility.HtmlDecode(page.Html));
        var sessions = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", Str(phone, "access_token")));
        var phoneSession = Str(sessions.Single(s => s!["device"]?["name"]?.GetValue<string>() == "Pixel 9"), "id");

        var answer = await browser.SendAsync(page, page.Form("RevokeSession", phoneSession), Ct);

        Assert.Equal(HttpStatusCode.Redirect, answer.Status);
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(phone, "refresh_token") }), HttpStatusCode.Unauthorized, "session_revoked");
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(laptop, "refresh_token") }));
        var audit = await browser.GetAsync($"/console/apps/{app}/audit", Ct);
        Assert.Contains("user.session.revoke", audit.Html);
        Assert.Contains("<span class=\"badge good\">valid</span>", audit.Html);

        var all = await browser.SubmitAsync(await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct), "RevokeAll", null, Ct);
        Assert.Contains("done=sessions-revoked", all.Location);
        Assert.Contains("This user is not signed in anywhere.", (await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct)).Html);
    }

    [Fact]
    public async Task An_admin_invites_by_email_and_revokes_the_invitation()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        using var browser = await SuperAdminAsync();
        var users = await browser.GetAsync($"/console/apps/{app}/users", Ct);
        var email = NewEmail("invited");

        var invited = await browser.SubmitAsync(users, "Invite", f => f.Set("inviteHandle", email), Ct);

        Assert.Equal($"/console/apps/{app}/users?done=invited#invitations", invited.Location);
        var message = await LatestMessageAsync(app, email, "invitation");
        CodeFrom(message);
        var outbox = await browser.GetAsync($"/console/apps/{app}/outbox?to={Uri.EscapeDataString(email)}", Ct);
        Assert.Contains(Str(message, "code"), outbox.Html);
        var list = await browser.GetAsync($"/console/apps/{app}/users", Ct);
        var revoked = await browser.SubmitAsync(list, "RevokeInvitation", null, Ct);
        Assert.Contains("done=invitation-revoked", revoked.Location);
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/invitations/accept", new { handle = email, code = Str(message, "code"), password = GoodPassword }),
            HttpStatusCode.BadRequest, "code_invalid");

        var bad = await browser.SubmitAsync(list, "Invite", f => f.Set("inviteHandle", "not a handle"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.NotNull(bad.TextOf("f-inviteHandle-error"));
    }

    [Fact]
    public async Task Custom_roles_are_defined_and_given_to_a_user_in_the_console()
    {
        var app = await CreateAppAsync();
        var (_, id) = await CreateUserAsync(app);
        using var browser = await SuperAdminAsync();
        var roles = await browser.GetAsync($"/console/apps/{app}/roles", Ct);

        var saved = await browser.SubmitAsync(roles, "Save", f => f.Set("name", "support").Set("adminPermissionsGranted", "admin:users.read")
            .Set("otherPermissions", "orders:refund\norders:read"), Ct);
        Assert.Equal($"/console/apps/{app}/roles?done=saved", saved.Location);
        var badName = await browser.SubmitAsync(roles, "Save", f => f.Set("name", "Admin!"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badName.Status);

        var user = await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct);
        var given = await browser.SubmitAsync(user, "CustomRoles", f => f.Set("customRoles", "support"), Ct);
        Assert.Contains("done=roles", given.Location);
        var view = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{id}", await AdminTokenAsync()));
        Assert.Equal(["support"], view["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        var plan = await browser.SubmitAsync(await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct), "Plan", f => f.Set("plan", "trial"), Ct);
        Assert.Contains("done=plan", plan.Location);
        view = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{id}", await AdminTokenAsync()));
        Assert.Equal("trial", Str(view, "plan"));
        Assert.NotNull(view["planExpiresAt"]?.GetValue<DateTime>());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsoleUsersTests_Sqlite(SqliteServer server) : ConsoleUsersTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ConsoleUsersTests_Postgres(PostgresServer server) : ConsoleUsersTests(server);
