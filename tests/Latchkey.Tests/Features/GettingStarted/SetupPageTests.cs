using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.GettingStarted;

/// <summary>
/// A real first start without LATCHKEY_ADMIN_EMAIL: the printed setup link names the address the
/// server listens on, and its page says which case it is: the form while the token can be used, a
/// page saying how to get a fresh link for an unknown one, and "setup is already done" once used.
/// A restart with another LATCHKEY_ADMIN_EMAIL says in the log that the variable is ignored.
/// </summary>
public abstract class SetupPageTests(string provider)
{
    private static readonly Dictionary<string, string> NoAdmin = new() { ["LATCHKEY_ADMIN_EMAIL"] = "", ["LATCHKEY_ADMIN_PASSWORD"] = "" };
    private const string Ignored = "LATCHKEY_ADMIN_EMAIL is ignored: a super admin already exists";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_setup_link_shows_its_form_until_it_is_used_then_says_setup_is_done()
    {
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), Ct, NoAdmin);
        using var client = server.CreateClient();
        var link = await PrintedSetupLinkAsync(server);
        Assert.StartsWith($"{server.BaseAddress.GetLeftPart(UriPartial.Authority)}/setup?token=", link);
        var token = link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..];

        var home = await PageAsync(client, "/", HttpStatusCode.OK);
        Assert.Contains("Setup is pending", home);
        Assert.DoesNotContain(token, home);

        foreach (var bogus in new[] { "/setup?token=not-the-token", "/setup", $"/setup?token={new string('x', 300)}" })
        {
            var unusable = await PageAsync(client, bogus, HttpStatusCode.BadRequest);
            Assert.Contains("This setup link cannot be used", unusable);
            Assert.Contains("Restart the server", unusable);
            Assert.DoesNotContain("<form", unusable);
        }

        var form = await PageAsync(client, new Uri(link).PathAndQuery, HttpStatusCode.OK);
        Assert.Contains("Create the first super admin", form);
        Assert.Contains($"name=\"token\" value=\"{token}\"", form);

        // A password the policy refuses shows the form again with the reason, and leaves the link usable.
        var refused = await PostFormAsync(client, token, "owner@example.com", "short", HttpStatusCode.BadRequest);
        Assert.Contains("at least 8 characters", refused);
        Assert.Contains("value=\"owner@example.com\"", refused);
        Assert.Contains("Create the first super admin", await PageAsync(client, new Uri(link).PathAndQuery, HttpStatusCode.OK));

        var done = await PostFormAsync(client, token, "Owner@Example.com", "a long owner passphrase", HttpStatusCode.OK);
        Assert.Contains("Setup is done", done);
        Assert.Contains("owner@example.com", done);
        Assert.Contains("href=\"/console/login\"", done);

        foreach (var after in new[] { new Uri(link).PathAndQuery, "/setup?token=not-the-token" })
        {
            var already = await PageAsync(client, after, HttpStatusCode.OK);
            Assert.Contains("Setup is already done", already);
            Assert.Contains("href=\"/console/login\"", already);
            Assert.DoesNotContain("<form", already);
        }
        Assert.Contains("Setup is already done", await PostFormAsync(client, token, "late@example.com", "a long late passphrase", HttpStatusCode.OK));
        Assert.Contains("Setup is done", await PageAsync(client, "/", HttpStatusCode.OK));
        var signIn = await client.PostAsJsonAsync("/v1/apps/console/login", new { handle = "owner@example.com", password = "a long owner passphrase" }, Ct);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }

    [Fact]
    public async Task A_restart_with_another_admin_email_warns_that_the_variable_is_ignored()
    {
        var database = TestDatabase.Create(provider);
        await using (var first = await ServerProcess.StartAsync(database, Ct))
        {
            Assert.DoesNotContain(Ignored, first.Output);
        }
        await using (var same = await ServerProcess.StartAsync(database, Ct))
        {
            Assert.DoesNotContain(Ignored, same.Output);
        }

        await using var other = await ServerProcess.StartAsync(database, Ct,
            new Dictionary<string, string> { ["LATCHKEY_ADMIN_EMAIL"] = "someone.else@example.com", ["LATCHKEY_ADMIN_PASSWORD"] = "another long passphrase" });

        Assert.Contains(Ignored, other.Output);
        Assert.Contains("warn:", other.Output);
        using var client = other.CreateClient();
        var signIn = await client.PostAsJsonAsync("/v1/apps/console/login", new { handle = "someone.else@example.com", password = "another long passphrase" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    internal static async Task<string> PageAsync(HttpClient client, string path, HttpStatusCode status)
    {
        var response = await client.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"GET {path}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        AssertStyledPage(response, body);
        return body;
    }

    /// <summary>Styled with the console's sheet, no script, never framed or cached (the URL may hold a token).</summary>
    internal static void AssertStyledPage(HttpResponseMessage response, string body)
    {
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches("<link rel=\"stylesheet\" href=\"/console/console.css\\?v=[0-9a-f]+\">", body);
        Assert.DoesNotContain("<script", body);
        Assert.DoesNotContain("<style", body);
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    private static async Task<string> PostFormAsync(HttpClient client, string token, string email, string password, HttpStatusCode status)
    {
        var response = await client.PostAsync("/setup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["email"] = email,
            ["password"] = password,
        }), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"POST /setup: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        AssertStyledPage(response, body);
        return body;
    }

    private static async Task<string> PrintedSetupLinkAsync(ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var line = server.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("/setup?token=", StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }
            Assert.True(DateTime.UtcNow < deadline, $"No setup link printed:\n{server.Output}");
            await Task.Delay(100, Ct);
        }
    }
}

public sealed class SetupPageTests_Sqlite() : SetupPageTests("sqlite");

public sealed class SetupPageTests_Postgres() : SetupPageTests("postgres");
