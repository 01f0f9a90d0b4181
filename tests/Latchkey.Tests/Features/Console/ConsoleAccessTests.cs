using System.Net;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.AdminConsole;

public abstract class ConsoleAccessTests(ServerFixture fixture) : ConsoleTest(fixture)
{
    [Fact]
    public async Task An_app_admin_manages_their_app_and_is_refused_another_app_and_creating_apps()
    {
        var mine = await CreateAppAsync();
        var other = await CreateAppAsync();
        var signedIn = await AppAdminAsync(mine);
        using var browser = signedIn.Browser;

        var home = await browser.GetAsync("/console", Ct);
        Assert.Equal(HttpStatusCode.Redirect, home.Status);
        Assert.Equal($"/console/apps/{mine}/dashboard", home.Location);
        foreach (var page in new[] { "/dashboard", "", "/users", "/roles", "/clients", "/outbox", "/audit" })
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/console/apps/{mine}{page}", Ct)).Status);
            var refused = await browser.GetAsync($"/console/apps/{other}{page}", Ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            AssertReadable(refused);
            Assert.Contains("App admins manage only their own app.", refused.Html);
        }

        var settings = await browser.GetAsync($"/console/apps/{mine}", Ct);
        var form = settings.FormTo("/console/logout").Set("name", "Sneaky").Set("id", "sneaky-" + Guid.NewGuid().ToString("N")[..8]);
        var create = await browser.PostAsync("/console?handler=Create", form.Fields, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, create.Status);
        Assert.Contains("Only super admins may do this.", create.Html);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/v1/admin/apps/{form.Value("id")}", await AdminTokenAsync())).StatusCode);

        // A change of another app's settings is refused before anything is read.
        var foreign = await browser.PostAsync($"/console/apps/{other}?handler=Save&section=access",
            settings.Form("Save", "section=access").Set("accessMode", "open").Fields, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.Status);
    }

    [Fact]
    public async Task A_custom_role_reaches_only_the_pages_its_permissions_allow()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/roles/support",
            JsonContent.Create(new { permissions = new[] { "admin:users.read", "admin:users.write" } }), admin));
        var (email, id) = await CreateUserAsync(app);
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/users/{id}/roles", JsonContent.Create(new { roles = new[] { "support" } }), admin));
        using var browser = Browser();
        await SignedInAsync(browser, app, email, GoodPassword);

        var home = await browser.GetAsync("/console", Ct);
        Assert.Equal($"/console/apps/{app}/users", home.Location);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/console/apps/{app}/users", Ct)).Status);
        var settings = await browser.GetAsync($"/console/apps/{app}", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, settings.Status);
        Assert.Contains("admin:apps.read", settings.Html);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/console/apps/{app}/audit", Ct)).Status);
    }

    [Fact]
    public async Task A_role_that_may_only_invite_sees_the_invitations_but_not_the_users()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/roles/inviter",
            JsonContent.Create(new { permissions = new[] { "admin:invitations" } }), admin));
        var (email, id) = await CreateUserAsync(app);
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/users/{id}/roles", JsonContent.Create(new { roles = new[] { "inviter" } }), admin));
        using var browser = Browser();
        await SignedInAsync(browser, app, email, GoodPassword);

        var users = await browser.GetAsync((await browser.GetAsync("/console", Ct)).Location!, Ct);

        Assert.Equal(HttpStatusCode.OK, users.Status);
        Assert.DoesNotContain(email, users.Html);
        Assert.DoesNotContain("Find users", users.Html);
        var invited = await browser.SubmitAsync(users, "Invite", f => f.Set("inviteHandle", NewEmail("friend")), Ct);
        Assert.Contains("done=invited", invited.Location);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct)).Status);
    }

    [Fact]
    public async Task A_form_without_the_antiforgery_token_is_refused()
    {
        using var browser = await SuperAdminAsync();
        var id = "csrf-" + Guid.NewGuid().ToString("N")[..8];

        var page = await browser.PostAsync("/console?handler=Create",
            [new("name", "Forged"), new("id", id)], Ct);

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Contains("Reload the page and try again", page.Html);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/v1/admin/apps/{id}", await AdminTokenAsync())).StatusCode);
        // The same form with its token goes through.
        var apps = await browser.GetAsync("/console", Ct);
        var created = await browser.SubmitAsync(apps, "Create", f => f.Set("name", "Genuine").Set("id", id), Ct);
        Assert.Equal($"/console/apps/{id}?done=created", created.Location);
    }

    [Fact]
    public async Task The_cookies_are_HttpOnly_SameSite_Strict_and_Secure_over_https()
    {
        using var browser = Browser(https: true);
        var login = await browser.GetAsync("/console/login", Ct);
        var antiforgery = Assert.Single(login.Response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("latchkey-csrf=", StringComparison.Ordinal));

        var signedIn = await browser.SubmitAsync(login, null, f => f.Set("handle", LatchkeyFactory.AdminEmail).Set("password", LatchkeyFactory.AdminPassword), Ct);

        var cookie = Assert.Single(signedIn.Response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("latchkey-console=", StringComparison.Ordinal));
        foreach (var set in new[] { cookie, antiforgery })
        {
            var flags = set.ToLowerInvariant();
            Assert.Contains("; httponly", flags);
            Assert.Contains("; samesite=strict", flags);
            Assert.Contains("; secure", flags);
            Assert.Contains("; path=/", flags);
        }
        // A session cookie: it goes with the browser; the ticket inside ends after 12 hours.
        Assert.DoesNotContain("expires=", cookie.ToLowerInvariant());
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/console", Ct)).Status);

        // The Data Protection keys behind these cookies are in the key store, sealed with the master key.
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var keys = await scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>().DataProtectionKeys.AsNoTracking().ToListAsync(Ct);
            Assert.NotEmpty(keys);
            Assert.All(keys, key =>
            {
                Assert.Contains("MasterKeyXmlDecryptor", key.Xml);
                Assert.DoesNotContain("<masterKey", key.Xml);
            });
        }
        Assert.False(Directory.Exists(Path.Combine(Factory.Database.KeysDir, "dataprotection")));

        using var plain = Browser();
        var overHttp = Assert.Single((await plain.GetAsync("/console/login", Ct)).Response.Headers.GetValues("Set-Cookie"));
        Assert.DoesNotContain("; secure", overHttp.ToLowerInvariant());
    }

    [Fact]
    public async Task With_an_https_public_url_the_cookies_are_host_only_and_always_secure()
    {
        await using var node = Factory.Sibling(new Dictionary<string, string?> { ["Latchkey:PublicUrl"] = "https://id.example.test" });
        using var browser = ConsoleBrowser.Open(node, https: true);
        var login = await browser.GetAsync("/console/login", Ct);
        Assert.Contains(login.Response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-latchkey-csrf=", StringComparison.Ordinal) && c.Contains("; secure"));

        var signedIn = await browser.SubmitAsync(login, null, f => f.Set("handle", LatchkeyFactory.AdminEmail).Set("password", LatchkeyFactory.AdminPassword), Ct);

        var cookie = Assert.Single(signedIn.Response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-latchkey-console=", StringComparison.Ordinal));
        Assert.Contains("; secure", cookie);
        Assert.DoesNotContain("domain=", cookie.ToLowerInvariant());
    }

    [Fact]
    public async Task Console_pages_carry_the_security_headers()
    {
        using var browser = await SuperAdminAsync();

        foreach (var path in new[] { "/console/login", "/console", "/console/apps/console" })
        {
            var page = await browser.GetAsync(path, Ct);
            var headers = page.Response.Headers;
            Assert.Equal("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'", string.Join(",", headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", string.Join(",", headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("same-origin", string.Join(",", headers.GetValues("Referrer-Policy")));
            Assert.Contains("no-store", headers.CacheControl?.ToString());
        }
        var css = await browser.Client.GetAsync("/console/console.css", Ct);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Contains("@media", await css.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_API_does_not_take_the_console_cookie()
    {
        using var browser = await SuperAdminAsync();

        var answer = await browser.Client.GetAsync("/v1/admin/apps", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsoleAccessTests_Sqlite(SqliteServer server) : ConsoleAccessTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ConsoleAccessTests_Postgres(PostgresServer server) : ConsoleAccessTests(server);
