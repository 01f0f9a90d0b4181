using System.Diagnostics;
using System.Text.RegularExpressions;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.GettingStarted;

/// <summary>
/// The README's walk-through, as a person pastes it: its ```sh blocks, taken from README.md
/// itself by scripts/try.sh, run in one bash with set -e against a fresh server process, and
/// what each step showed. The block that starts the server (marked
/// <c>&lt;!-- try: starts the server --&gt;</c>) is the one part this does not run: the test starts
/// the same server itself, with the README's admin variables, on a free port.
/// </summary>
public abstract partial class ReadmeWalkthroughTests(string provider)
{
    private const string AdminPassword = "a long admin passphrase";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string> ReadmeAdmin = new()
    {
        ["LATCHKEY_ADMIN_EMAIL"] = "admin@example.com",
        ["LATCHKEY_ADMIN_PASSWORD"] = AdminPassword,
    };

    [Fact]
    public async Task The_readme_walk_through_signs_a_user_in_refreshes_and_signs_out_on_a_fresh_server()
    {
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), Ct, ReadmeAdmin);
        var url = server.BaseAddress.GetLeftPart(UriPartial.Authority);

        var (exitCode, output) = await TryAsync(url, Readme);

        Assert.True(exitCode == 0, $"try.sh exited with {exitCode}:\n{output}\n--- server ---\n{server.Output}");
        AssertInOrder(output,
            "the server says: Healthy",
            """{"created":"demo","accessMode":"open"}""",
            """{"signedUp":"ann@example.com"}""",
            "access token eyJ",
            """{"me":"ann@example.com"}""",
            "same successor: ",
            """{"replayed":"refresh_token_reused"}""",
            """{"displayName":"Ann","preferences":{"theme":"dark"}}""",
            "logout 204",
            """{"afterLogout":"session_revoked"}""",
            $$"""{"issuer":"{{url}}/v1/apps/demo","jwks_uri":"{{url}}/v1/apps/demo/.well-known/jwks.json"}""",
            """{"selfSignup":"invitation_required"}""",
            """{"invited":true""",
            """{"email":"bob@example.com","emailVerified":true,"appMetadata":{"coupon":"WELCOME10","tier":"gold"}}""",
            """{"grantSelf":"invalid_request"}""",
            "link page 200",
            "confirmed 200",
            """{"signedUp":"cat@example.com","hasTokens":true}""",
            """{"again":"code_invalid"}""",
            "\"anonymous\":true}",
            "\"handle\":\"dee@example.com\",\"username\":\"Dee.Smith\",\"anonymous\":false}",
            """{"taken":true}""",
            "== the walk-through ran to its end");
        Assert.Matches(@"\{""keys"":\[\{""kid"":""[^""]+"",""alg"":""ES256""\}\]\}", output);
        // The guest keeps its id when it upgrades.
        var guest = GuestId().Match(output);
        Assert.True(guest.Success, output);
        Assert.Contains($"\"upgraded\":\"{guest.Groups["id"].Value}\"", output);
        // Every block the README has ran, each announced as a step.
        Assert.Equal(RunnableBlocks(), StepLine().Matches(output).Count);
    }

    [Fact]
    public async Task A_step_that_fails_stops_the_walk_through_loudly_instead_of_going_on_with_empty_values()
    {
        await using var server = await ServerProcess.StartAsync(TestDatabase.Create(provider), Ct, ReadmeAdmin);
        var wrongPassword = Readme.Replace($"\"password\":\"{AdminPassword}\"", "\"password\":\"not the admin passphrase\"", StringComparison.Ordinal);
        Assert.NotEqual(Readme, wrongPassword);

        var (exitCode, output) = await TryAsync(server.BaseAddress.GetLeftPart(UriPartial.Authority), wrongPassword);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("the server says: Healthy", output);
        Assert.Contains("401", output);
        Assert.DoesNotContain("\"created\":\"demo\"", output);
        Assert.DoesNotContain("same successor", output);
        Assert.DoesNotContain("ran to its end", output);
    }

    [Fact]
    public void Every_request_in_the_readme_fails_on_an_http_error_unless_it_shows_the_error_code()
    {
        var curls = Readme.Split('\n').Where(l => Regex.IsMatch(l, @"(^|[\s(])curl\s")).ToList();
        Assert.True(curls.Count > 20, $"Only {curls.Count} curl lines found in the README.");
        foreach (var line in curls)
        {
            // An expected error is read on purpose: its problem's code is what the step shows.
            var showsCode = line.Contains("curl -sS", StringComparison.Ordinal) && line.Contains(".code", StringComparison.Ordinal);
            Assert.True(line.Contains("curl -fsS", StringComparison.Ordinal) || showsCode || Continued(line), $"A curl that would hide a failure: {line}");
        }
        // A value is read with jq -e, so a missing one fails instead of becoming an empty string.
        Assert.DoesNotContain("jq -r ", Readme);
    }

    /// <summary>A request whose -sS line continues with its body on the next lines and shows .code there.</summary>
    private bool Continued(string line)
    {
        var lines = Readme.Split('\n');
        var at = Array.IndexOf(lines, line);
        return line.Contains("curl -sS", StringComparison.Ordinal) && line.TrimEnd().EndsWith('\\')
            && at + 1 < lines.Length && lines[at + 1].Contains(".code", StringComparison.Ordinal);
    }

    private static string Readme => File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));

    /// <summary>The README's ```sh and ```bash blocks, less those marked to be skipped here.</summary>
    private static int RunnableBlocks()
    {
        var lines = Readme.Split('\n');
        var count = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!Fence().IsMatch(lines[i]))
            {
                continue;
            }
            var before = lines.Take(i).Reverse().FirstOrDefault(l => l.Trim().Length > 0) ?? "";
            if (!before.StartsWith("<!-- try:", StringComparison.Ordinal))
            {
                count++;
            }
            while (++i < lines.Length && lines[i].TrimEnd() != "```")
            {
            }
        }
        Assert.True(count >= 8, $"Only {count} runnable blocks found in the README.");
        return count;
    }

    private static async Task<(int ExitCode, string Output)> TryAsync(string url, string readme)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("latchkey-readme-").FullName, "README.md");
        await File.WriteAllTextAsync(file, readme, Ct);
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoRoot(), "scripts", "try.sh"), "--url", url, file])
        {
            WorkingDirectory = RepoRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(180));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"try.sh did not finish within 180 s:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static void AssertInOrder(string output, params string[] expected)
    {
        var at = 0;
        foreach (var text in expected)
        {
            var found = output.IndexOf(text, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"Expected, after what came before: {text}\nThe walk-through showed:\n{output}");
            at = found + text.Length;
        }
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Latchkey.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
    }

    [GeneratedRegex(@"^```(sh|bash)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^== step \d+: ", RegexOptions.Multiline)]
    private static partial Regex StepLine();

    [GeneratedRegex(@"\{""guest"":""(?<id>[0-9a-f-]{36})""")]
    private static partial Regex GuestId();
}

public sealed class ReadmeWalkthroughTests_Sqlite() : ReadmeWalkthroughTests("sqlite");

public sealed class ReadmeWalkthroughTests_Postgres() : ReadmeWalkthroughTests("postgres");
