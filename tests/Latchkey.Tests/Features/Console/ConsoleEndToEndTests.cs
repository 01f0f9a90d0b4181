using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Tokens;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.AdminConsole;

/// <summary>
/// The console end to end in Debian's Chromium, driven by playwright-core (tests/js/console-e2e.mjs)
/// against a real server process: sign in as the super admin, create an app, change its settings,
/// section by section, create and invite users, read the dashboard's counts, the user page's
/// history, revoke a session opened through the JSON API, read the audit trail in words.
/// Screenshots of every page (1280 and 390 wide) go to tests/screenshots/{database}/ (the test's
/// output prints the folder). Runs once per database.
/// </summary>
public abstract class ConsoleEndToEndTests(string provider)
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public async Task A_super_admin_runs_an_app_from_the_console_in_Chromium()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./test.sh installs Debian's chromium (apt-get install chromium).");
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), ct);
        var shots = Path.Combine(RepoRoot(), "tests", "screenshots", provider);
        if (Directory.Exists(shots))
        {
            Directory.Delete(shots, recursive: true);
        }

        var output = await IndependentVerificationTests.RunNodeAsync("console-e2e.mjs", ct,
            server.BaseAddress.ToString().TrimEnd('/'), shots, LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword);
        var result = JsonNode.Parse(output)!;
        var summary = $"Chromium run: {output}";
        var steps = result["steps"]!;

        Assert.True(result["error"] is null, summary);
        Assert.True(steps["loginRedirect"]!.GetValue<string>() == "/console/login", summary);
        Assert.True(steps["signIn"]!.GetValue<bool>(), summary);
        var settings = steps["settings"]!;
        Assert.Equal("Saved.", settings["notice"]!.GetValue<string>());
        Assert.Equal(1, settings["otherNotices"]!.GetValue<int>());
        Assert.Equal(7, settings["saveButtons"]!.GetValue<int>());
        Assert.Equal("open", settings["accessMode"]!.GetValue<string>());
        Assert.Equal(300, settings["codeTimeoutSeconds"]!.GetValue<int>());
        Assert.Equal("127.0.0.0/8\n::1/128\n10.0.0.0/8", settings["ipRanges"]!.GetValue<string>());
        Assert.Equal(1, settings["qrCode"]!.GetValue<int>());
        Assert.StartsWith("buyer.", steps["createUser"]!["heading"]!.GetValue<string>());
        Assert.StartsWith("The invitation is sent.", steps["invite"]!.GetValue<string>());
        Assert.Equal(200, steps["apiSignIn"]!.GetValue<int>());
        var dashboard = steps["dashboard"]!;
        Assert.Equal(1, dashboard["users"]!.GetValue<int>());
        Assert.Equal(1, dashboard["sessions"]!.GetValue<int>());
        Assert.Equal(1, dashboard["signIns"]!.GetValue<int>());
        Assert.Equal(1, dashboard["failures"]!.GetValue<int>());
        Assert.Equal(28, dashboard["chart"]!.GetValue<int>());
        Assert.Contains("failed to sign in as buyer.", dashboard["events"]!.GetValue<string>());
        Assert.Equal(1, dashboard["switcher"]!.GetValue<int>());
        var userPage = steps["userPage"]!;
        Assert.EndsWith(" UTC", userPage["lastSignIn"]!.GetValue<string>());
        Assert.Equal(2, userPage["history"]!.GetValue<int>());
        Assert.Equal(1, userPage["failed"]!.GetValue<int>());
        Assert.Equal(1, steps["sessionShown"]!.GetValue<int>());
        Assert.StartsWith("The session is ended", steps["revoke"]!["notice"]!.GetValue<string>());
        Assert.Equal(0, steps["revoke"]!["rowsLeft"]!.GetValue<int>());
        // The revoked session's refresh token is refused by the token endpoint.
        Assert.Equal(401, steps["refreshAfterRevoke"]!["status"]!.GetValue<int>());
        Assert.Equal("session_revoked", steps["refreshAfterRevoke"]!["code"]!.GetValue<string>());
        Assert.Equal(1, steps["outbox"]!["invitations"]!.GetValue<int>());
        Assert.True(steps["outbox"]!["hasCode"]!.GetValue<bool>(), summary);
        Assert.StartsWith("valid", steps["audit"]!["chain"]!.GetValue<string>());
        Assert.True(steps["audit"]!["words"]!.GetValue<bool>(), summary);
        var actions = steps["audit"]!["actions"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Contains("app.update", actions);
        Assert.Contains("user.create", actions);
        Assert.Contains("user.session.revoke", actions);
        Assert.Contains("signin", actions);
        Assert.True(steps["phone"]!.GetValue<bool>(), summary);

        Assert.True(result["accessibility"]!["offenders"]!.AsArray().Count == 0, "Form controls without an accessible name: " + summary);
        Assert.True(result["accessibility"]!["pages"]!.GetValue<int>() >= 14, summary);
        Assert.True(result["overflow"]!.AsArray().Count == 0, "Pages that scroll sideways on a phone: " + summary);
        Assert.True(result["problems"]!.AsArray().Count == 0, "Pages that showed a problem: " + summary);

        var files = result["screenshots"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"Screenshots: {shots}");
        string[] pages = ["apps", "dashboard", "settings", "users", "user", "outbox", "audit"];
        foreach (var name in pages.SelectMany(p => new[] { $"{p}.png", $"{p}-phone.png" }).Append("switcher.png"))
        {
            var path = Path.Combine(shots, name);
            Assert.Contains(path, files);
            var bytes = await File.ReadAllBytesAsync(path, ct);
            Assert.True(bytes.Length > 1000, $"{path} is {bytes.Length} bytes");
            Assert.Equal(Png, bytes[..8]);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Latchkey.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
    }
}

public sealed class ConsoleEndToEndTests_Sqlite() : ConsoleEndToEndTests("sqlite");

public sealed class ConsoleEndToEndTests_Postgres() : ConsoleEndToEndTests("postgres");
