using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Tokens;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Operations;

/// <summary>
/// The API reference page in Debian's Chromium (tests/js/docs-chromium.mjs), on a real server
/// process in the Production environment: it renders the document's operations and every
/// request it makes stays on this server, so it works offline. The page does not depend on the
/// database, so this runs on SQLite only.
/// </summary>
public sealed class ApiReferenceBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_reference_page_renders_in_Chromium_with_nothing_loaded_from_elsewhere()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./test.sh installs Debian's chromium (apt-get install chromium).");
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create("sqlite"), ct);

        var output = await IndependentVerificationTests.RunNodeAsync("docs-chromium.mjs", ct, server.BaseAddress.ToString().TrimEnd('/'));

        var result = JsonNode.Parse(output)!;
        Assert.True(result["error"] is null && result["rendered"]!.GetValue<bool>(), $"Chromium run: {output}");
        Assert.Equal("Latchkey API", result["title"]!.GetValue<string>());
        Assert.Equal(["App", "Signed-in user", "Admin"], result["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.True(result["foreign"]!.AsArray().Count == 0, $"The page loaded from elsewhere: {output}");
        Assert.True(result["failed"]!.AsArray().Count == 0, $"Some of the page's requests failed: {output}");
    }
}
