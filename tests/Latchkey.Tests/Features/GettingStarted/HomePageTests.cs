using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.GettingStarted;

/// <summary>
/// <c>GET /</c> is a small page, not a 404: it links the console, the API reference and the
/// OpenAPI document, names the docs, and says whether setup is pending (the shared server has its
/// super admin; <see cref="SetupPageTests"/> shows the pending case on a fresh one).
/// </summary>
public abstract class HomePageTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task The_home_page_links_the_console_the_api_reference_and_the_docs()
    {
        var page = await SetupPageTests.PageAsync(Client, "/", HttpStatusCode.OK);

        Assert.Contains("<h1>Latchkey</h1>", page);
        Assert.Contains("Setup is done", page);
        Assert.DoesNotContain("Setup is pending", page);
        Assert.Contains($"<code>{LatchkeyFactory.PublicUrl}</code>", page);
        foreach (var href in new[] { "/console", "/console/login", "/docs", "/openapi/v1.json", "/healthz" })
        {
            Assert.Contains($"href=\"{href}\"", page);
        }
        foreach (var doc in new[] { "README.md", "docs/api.md", "docs/mobile-quickstart.md" })
        {
            Assert.Contains(doc, page);
            Assert.True(File.Exists(Path.Combine(ReadmeWalkthroughTests.RepoRoot(), doc)), $"The home page names {doc}, which the repository lacks.");
        }
        var styles = System.Text.RegularExpressions.Regex.Match(page, "href=\"(/console/console.css\\?v=[0-9a-f]+)\"").Groups[1].Value;
        var css = await Client.GetAsync(styles, Ct);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/openapi/v1.json", Ct)).StatusCode);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class HomePageTests_Sqlite(SqliteServer server) : HomePageTests(server);

[Collection(PostgresCollection.Name)]
public sealed class HomePageTests_Postgres(PostgresServer server) : HomePageTests(server);
