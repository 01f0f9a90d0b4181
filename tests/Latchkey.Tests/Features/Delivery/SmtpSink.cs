using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>
/// A real SMTP server (npm smtp-server, tests/js/smtp-sink.mjs) on 127.0.0.1, started once per
/// test class; what it received is read back as JSON over its small HTTP port.
/// </summary>
public sealed class SmtpSink : IAsyncLifetime
{
    private Process? _process;
    private readonly HttpClient _api = new();

    public int SmtpPort { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var jsDir = Path.Combine(RepoRoot(), "tests", "js");
        if (!Directory.Exists(Path.Combine(jsDir, "node_modules", "smtp-server")))
        {
            throw new InvalidOperationException("tests/js/node_modules lacks smtp-server: run ./test.sh (it runs npm ci in tests/js).");
        }
        var start = new ProcessStartInfo("node", [Path.Combine(jsDir, "smtp-sink.mjs")])
        {
            WorkingDirectory = jsDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node smtp-sink.mjs.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await _process.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException("smtp-sink.mjs ended before listening: " + await _process.StandardError.ReadToEndAsync(timeout.Token));
        var ports = JsonNode.Parse(line)!;
        SmtpPort = ports["smtp"]!.GetValue<int>();
        _api.BaseAddress = new Uri($"http://127.0.0.1:{ports["http"]!.GetValue<int>()}");
    }

    public async Task<JsonArray> MessagesAsync(CancellationToken ct) =>
        JsonNode.Parse(await _api.GetStringAsync("/messages", ct))!.AsArray();

    /// <summary>The first mail to this address, waiting up to 20 s for it.</summary>
    public async Task<JsonNode> WaitForAsync(string to, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var mail = (await MessagesAsync(ct)).FirstOrDefault(m => m!["to"]!.AsArray().Any(a => a!.GetValue<string>() == to));
            if (mail is not null)
            {
                return mail;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No mail reached the SMTP sink for {to}.");
            }
            await Task.Delay(100, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        if (_process is null)
        {
            return;
        }
        // Closing its standard input ends the sink; a kill is the fallback.
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
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
}
