using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

/// <summary>The dashboards, the user page's sign-in history and the audit trail in words, against known sign-ins.</summary>
public abstract class ConsoleDashboardTests(ServerFixture fixture) : ConsoleTest(fixture)
{
    /// <summary>An app with one user who signed in <paramref name="good"/> times and failed <paramref name="bad"/> times.</summary>
    private async Task<(string App, string Email, string UserId)> SignInsAsync(int good, int bad)
    {
        var app = await CreateAppAsync();
        var (email, id) = await CreateUserAsync(app);
        for (var i = 0; i < good; i++)
        {
            await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword, device = new { name = $"Phone {i}", platform = "android" } }));
        }
        for (var i = 0; i < bad; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = "not the password at all" })).StatusCode);
        }
        return (app, email, id);
    }

    private static int Figure(ConsolePage page, string name) => int.Parse(page.TextOf("figure-" + name)!);

    [Fact]
    public async Task The_app_dashboard_counts_users_sessions_sign_ins_and_failures()
    {
        var (app, email, _) = await SignInsAsync(good: 3, bad: 2);
        await CreateUserAsync(app);
        using var browser = await SuperAdminAsync();

        var page = await browser.GetAsync($"/console/apps/{app}/dashboard", Ct);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(2, Figure(page, "users"));
        Assert.Equal(3, Figure(page, "sessions"));
        Assert.Equal(3, Figure(page, "signins"));
        Assert.Equal(2, Figure(page, "failures"));
        // Today's row of the figures by day, and the chart drawn from them.
        // The server's clock: other classes on the shared server move it.
        var now = Factory.Clock.GetUtcNow();
        var today = now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Matches($"<th scope=\"row\">{today}</th><td>3</td><td>2</td>", page.Html);
        Assert.Equal(14, Regex.Matches(page.Html, "<th scope=\"row\">").Count);
        Assert.Contains("<svg id=\"signins-chart\"", page.Html);
        Assert.Contains("3 sign-ins and 2 failed sign-ins", page.TextOf("signins-chart-desc"));
        Assert.Contains($"<title>{now.ToString("d MMM", CultureInfo.InvariantCulture)}: 3 sign-ins</title>", page.Html);
        // The security events name the account in words, for a super admin.
        var events = page.TextOf("security-events")!;
        var words = Regex.Replace(events, "\\s+", " ");
        Assert.True(words.Contains($"Someone failed to sign in as {email}."), words);
    }

    [Fact]
    public async Task The_platform_dashboard_and_apps_list_count_every_app()
    {
        var (app, _, _) = await SignInsAsync(good: 2, bad: 1);
        using var browser = await SuperAdminAsync();

        var page = await browser.GetAsync("/console", Ct);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.True(Figure(page, "signins") >= 2 && Figure(page, "failures") >= 1 && Figure(page, "users") >= 2, page.TextOf("figures"));
        Assert.Contains($"aria-label=\"1 users of Test app {app}\"", page.Html);
        Assert.Contains($"href=\"/console/apps/{app}/dashboard\"", page.Html);
    }

    [Fact]
    public async Task Every_page_of_an_app_has_the_app_switcher()
    {
        var app = await CreateAppAsync();
        // The switcher lists the first 100 apps by name and the shared server holds more: this one sorts first.
        var other = "t-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("/v1/admin/apps", new { id = other, name = "0 first app " + other }, await AdminTokenAsync())).StatusCode);
        using var browser = await SuperAdminAsync();

        foreach (var (path, target) in new[] { ("/dashboard", "/dashboard"), ("", ""), ("/users", "/users"), ("/audit", "/audit") })
        {
            var page = await browser.GetAsync($"/console/apps/{app}{path}", Ct);
            Assert.Contains("class=\"switcher\"", page.Html);
            // The switcher opens the same page of the other app.
            Assert.Contains($"href=\"/console/apps/{other}{target}\"", page.Html);
        }
        var (admin, _, _) = await AppAdminAsync(app);
        using (admin)
        {
            Assert.DoesNotContain("class=\"switcher\"", (await admin.GetAsync($"/console/apps/{app}/dashboard", Ct)).Html);
        }
    }

    [Fact]
    public async Task The_user_page_shows_the_profile_last_sign_in_history_and_devices()
    {
        var (app, _, id) = await SignInsAsync(good: 2, bad: 1);
        using var browser = await SuperAdminAsync();

        var page = await browser.GetAsync($"/console/apps/{app}/users/{id}", Ct);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$", page.TextOf("last-signin")!);
        var history = page.TextOf("signin-history")!;
        Assert.Equal(2, Regex.Matches(history, "signed in").Count);
        // The caption speaks of "failed sign-ins"; each failed row says "failed".
        Assert.Single(Regex.Matches(history, @"\bfailed\b(?! sign-ins)"));
        Assert.Contains("/login", history);
        Assert.Contains("Phone 0", page.Html);
        Assert.Contains("Phone 1", page.Html);
        Assert.Contains("Devices and sessions (2)", page.Html);
        Assert.Contains("id=\"profile-title\"", page.Html);
    }

    [Fact]
    public async Task The_audit_trail_names_people_in_words_and_records_that_it_did()
    {
        var app = await CreateAppAsync();
        var (email, id) = await CreateUserAsync(app);
        await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users/{id}/sessions/revoke", new { }, await AdminTokenAsync()));
        using var browser = await SuperAdminAsync();

        var page = await browser.GetAsync($"/console/apps/{app}/audit", Ct);

        var trail = Regex.Replace(page.TextOf("audit-records")!, "\\s+", " ");
        Assert.Contains($"{LatchkeyFactory.AdminEmail} created the user {email}", trail);
        Assert.Contains($"{LatchkeyFactory.AdminEmail} ended every session of {email}", trail);
        Assert.DoesNotContain(id, trail);
        var reads = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit?action=audit.names.read", await AdminTokenAsync()));
        Assert.Equal("names=2", Str(Assert.Single(reads), "detail"));

        // An admin who may read the trail but not users' data sees no handles, and nothing is recorded.
        var token = await AdminTokenAsync();
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/roles/auditor",
            System.Net.Http.Json.JsonContent.Create(new { permissions = new[] { "admin:audit.read" } }), token));
        var (auditor, auditorId) = await CreateUserAsync(app);
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/users/{auditorId}/roles",
            System.Net.Http.Json.JsonContent.Create(new { roles = new[] { "auditor" } }), token));
        using var limited = Browser();
        await SignedInAsync(limited, app, auditor, GoodPassword);
        var plain = await limited.GetAsync($"/console/apps/{app}/audit", Ct);
        Assert.Equal(HttpStatusCode.OK, plain.Status);
        Assert.DoesNotContain(email, plain.Html);
        Assert.Contains("A console admin created the user user", Regex.Replace(plain.TextOf("audit-records")!, "\\s+", " "));
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit?action=audit.names.read", token)));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsoleDashboardTests_Sqlite(SqliteServer server) : ConsoleDashboardTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ConsoleDashboardTests_Postgres(PostgresServer server) : ConsoleDashboardTests(server);
