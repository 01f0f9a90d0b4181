using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Latchkey.Bench;

/// <summary>
/// A server as its own process on 127.0.0.1 (a Latchkey node, or the ceiling app), so the
/// benchmark measures what a deployment does (Kestrel, real sockets, its own GC) and the load
/// generator's CPU is not mistaken for the server's. Its console output goes straight to a file,
/// so reading it costs the benchmark nothing while the load runs.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminEmail = "admin@bench.example";
    public const string AdminPassword = "bench-admin-passphrase-1";

    private readonly Process _process;
    private readonly string _logFile;
    private bool _stopped;

    private ServerProcess(Process process, string logFile, Uri baseAddress, string name)
    {
        _process = process;
        _logFile = logFile;
        BaseAddress = baseAddress;
        Name = name;
    }

    public Uri BaseAddress { get; }
    public string Name { get; }

    /// <summary>CPU time the server has used so far; null once it has exited.</summary>
    public TimeSpan? CpuTime
    {
        get
        {
            try
            {
                return _process.HasExited ? null : _process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <summary>Resident set size now (VmRSS), in bytes; null once the process has exited.</summary>
    public long? RssBytes
    {
        get
        {
            try
            {
                var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                return line is null ? null : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
            {
                return null;
            }
        }
    }

    /// <summary>Starts a Latchkey node; a second node of the same deployment passes the first one's <paramref name="keysDir"/>.</summary>
    public static Task<ServerProcess> StartAsync(string serverDll, string database, string workDir, CancellationToken ct, string? keysDir = null)
    {
        keysDir ??= Directory.CreateDirectory(Path.Combine(workDir, "keys")).FullName;
        return LaunchAsync("Latchkey", serverDll, runtimeConfig: null, workDir, new Dictionary<string, string>
        {
            ["LATCHKEY_DATABASE"] = database,
            ["LATCHKEY_KEYS_DIR"] = keysDir,
            ["LATCHKEY_ADMIN_EMAIL"] = AdminEmail,
            ["LATCHKEY_ADMIN_PASSWORD"] = AdminPassword,
            // Only the default level: the server's own configuration decides the rest (its request log included).
            ["Logging__LogLevel__Default"] = "Warning",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // Every request comes from 127.0.0.1: the per-address and per-app budgets stay checked
            // (their cost is measured) but are set so high that a load run never spends them.
            ["Latchkey__SendLimits__AddressSignups"] = "1000000",
            ["Latchkey__SendLimits__AddressSends"] = "1000000",
            ["Latchkey__SendLimits__AppSends"] = "100000000",
            ["Latchkey__RateLimits__AddressFailures"] = "1000000",
        }, ct);
    }

    /// <summary>
    /// Starts the ceiling app (bench/Latchkey.Ceiling) with the server's GC settings: its
    /// runtimeconfig.json with every System.GC.* property replaced by the server's, so a change
    /// there (server GC, DATAS, a heap limit) applies to both sides of every ratio.
    /// </summary>
    public static Task<ServerProcess> StartCeilingAsync(string ceilingDll, string serverDll, string workDir, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var merged = Path.Combine(workDir, "Latchkey.Ceiling.runtimeconfig.json");
        var ceiling = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(ceilingDll, ".runtimeconfig.json")))!;
        var server = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(serverDll, ".runtimeconfig.json")))!;
        var properties = ceiling["runtimeOptions"]!["configProperties"]?.AsObject() ?? [];
        foreach (var gc in properties.Where(p => p.Key.StartsWith("System.GC.", StringComparison.Ordinal)).Select(p => p.Key).ToList())
        {
            properties.Remove(gc);
        }
        foreach (var (key, value) in server["runtimeOptions"]!["configProperties"]?.AsObject() ?? [])
        {
            if (key.StartsWith("System.GC.", StringComparison.Ordinal))
            {
                properties[key] = value?.DeepClone();
            }
        }
        ceiling["runtimeOptions"]!["configProperties"] = properties;
        File.WriteAllText(merged, ceiling.ToJsonString());
        return LaunchAsync("ceiling", ceilingDll, merged, workDir, environment, ct);
    }

    /// <summary>The System.GC.* settings the server runs with, for the report.</summary>
    public static string GcSettings(string serverDll)
    {
        var server = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(serverDll, ".runtimeconfig.json")))!;
        var gc = (server["runtimeOptions"]!["configProperties"]?.AsObject() ?? [])
            .Where(p => p.Key.StartsWith("System.GC.", StringComparison.Ordinal))
            .Select(p => $"{p.Key["System.GC.".Length..]}={p.Value?.ToJsonString()}")
            .ToList();
        return gc.Count == 0 ? "runtime defaults" : string.Join(", ", gc);
    }

    private static async Task<ServerProcess> LaunchAsync(
        string name, string dll, string? runtimeConfig, string workDir, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Not built: {dll} (bench/run.sh builds it).");
        }
        var port = FreePort();
        var logFile = Path.Combine(workDir, $"{name}.log");
        // sh only redirects and then becomes the dotnet process (exec), so the pid is the server's.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "exec \"$@\" >>\"$0\" 2>&1", logFile, "dotnet" },
            WorkingDirectory = workDir,
            UseShellExecute = false,
        };
        if (runtimeConfig is not null)
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add("--runtimeconfig");
            start.ArgumentList.Add(runtimeConfig);
        }
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        start.Environment.Remove("ASPNETCORE_URLS");

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        var server = new ServerProcess(process, logFile, new Uri($"http://127.0.0.1:{port}/"), name);
        try
        {
            await server.WaitHealthyAsync(ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Warnings and errors the server logged, by level and category (e.g. "warn: ...RefreshRotation[0]").</summary>
    public IReadOnlyDictionary<string, int> Warnings
    {
        get
        {
            var warnings = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var line in LogLines().Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)))
            {
                warnings[line.Trim()] = warnings.GetValueOrDefault(line.Trim()) + 1;
            }
            return warnings;
        }
    }

    public string Tail => string.Join('\n', LogLines().TakeLast(40));

    private IEnumerable<string> LogLines()
    {
        try
        {
            return File.ReadAllLines(_logFile);
        }
        catch (IOException)
        {
            return [];
        }
    }

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The {Name} process exited with code {_process.ExitCode} while starting:\n{Tail}");
            }
            try
            {
                using var response = await http.GetAsync("healthz", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet (migrations run before Kestrel starts).
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"The {Name} process did not answer /healthz with 200 within 120 s:\n{Tail}");
    }

    /// <summary>SIGTERM first so the server closes its database connections; a hard kill if it hangs.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        try
        {
            if (!_process.HasExited)
            {
                _ = Kill(_process.Id, SigTerm);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    /// <summary>Asks the OS for a free port; the tiny race until the server binds it is acceptable here.</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private const int SigTerm = 15;

    // .NET can only SIGKILL a process; SIGTERM lets ASP.NET Core shut down cleanly.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
