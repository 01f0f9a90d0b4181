using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Operations;

/// <summary>
/// A real server process: without LATCHKEY_PUBLIC_URL its public URL is the address it listens
/// on, so a wildcard address (every interface) is no public URL and stops the start with a
/// message, not a stack trace; the setup link it prints names the real address; and a first
/// start, which creates the databases, logs no error.
/// </summary>
public abstract class ServerStartTests(string provider)
{
    private static readonly Dictionary<string, string> NoAdmin = new() { ["LATCHKEY_ADMIN_EMAIL"] = "", ["LATCHKEY_ADMIN_PASSWORD"] = "" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://0.0.0.0:{port}", null)]
    [InlineData("http://*:{port}", null)]
    [InlineData("http://127.0.0.1:{port}", "http://0.0.0.0:8080")]
    public async Task A_wildcard_address_as_the_public_url_stops_the_start_with_a_message_naming_LATCHKEY_PUBLIC_URL(string urls, string? publicUrl)
    {
        var environment = publicUrl is null ? null : new Dictionary<string, string> { ["LATCHKEY_PUBLIC_URL"] = publicUrl };

        var (exitCode, output) = await ServerProcess.RunToExitAsync(TestDatabase.Create(provider), urls, Ct, environment);

        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{output}");
        Assert.Contains("Latchkey cannot start: ", output);
        Assert.Contains("every network interface", output);
        Assert.Contains("Set LATCHKEY_PUBLIC_URL", output);
        Assert.DoesNotContain("Exception", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task The_setup_link_printed_at_a_first_start_names_the_address_the_server_listens_on()
    {
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), Ct, NoAdmin);
        var url = server.BaseAddress.GetLeftPart(UriPartial.Authority);

        var link = await PrintedSetupLinkAsync(server);

        Assert.StartsWith($"{url}/setup?token=", link);
        using var client = server.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(new Uri(link).PathAndQuery, Ct)).StatusCode);
    }

    [Fact]
    public async Task On_a_wildcard_address_with_a_public_url_the_server_starts_and_its_setup_link_names_the_public_url()
    {
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), Ct,
            new Dictionary<string, string>(NoAdmin) { ["LATCHKEY_PUBLIC_URL"] = "https://id.example.test/" }, host: "0.0.0.0");

        var link = await PrintedSetupLinkAsync(server);

        Assert.StartsWith("https://id.example.test/setup?token=", link);
        using var client = server.CreateClient();
        var discovery = await client.GetStringAsync("/v1/apps/console/.well-known/openid-configuration", Ct);
        Assert.Contains("\"issuer\":\"https://id.example.test/v1/apps/console\"", discovery);
    }

    [Fact]
    public async Task A_first_start_on_a_new_database_logs_no_error()
    {
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), Ct,
            new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Information" });

        var output = await OutputWithAsync(server, "Content root path: ");

        Assert.Contains("Now listening on: ", output);
        var errors = output.Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"A first start logged errors:\n{string.Join("\n", errors)}\n\nThe whole log:\n{output}");
    }

    private static async Task<string> OutputWithAsync(ServerProcess server, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!server.Output.Contains(expected, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The server did not log '{expected}' within 10 s:\n{server.Output}");
            await Task.Delay(100, Ct);
        }
        return server.Output;
    }

    /// <summary>The link the server printed (it prints it once it listens, just after it turns ready).</summary>
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

public sealed class ServerStartTests_Sqlite() : ServerStartTests("sqlite");

public sealed class ServerStartTests_Postgres() : ServerStartTests("postgres");
