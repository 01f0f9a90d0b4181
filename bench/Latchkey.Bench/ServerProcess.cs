using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Latchkey.Bench;

/// <summary>
/// One Latchkey server as its own process on 127.0.0.1, so the benchmark measures what a
/// deployment does (Kestrel, real sockets, its own GC) and the load generator's CPU is not
/// mistaken for the server's.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminEmail = "admin@bench.example";
    public const string AdminPassword = "bench-admin-passphrase-1";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly ConcurrentDictionary<string, int> _warnings = new(StringComparer.Ordinal);
    private bool _stopped;
    private bool _logClosed;

    private ServerProcess(Process process, StreamWriter log, Uri baseAddress)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

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

    /// <summary>Starts a node; a second node of the same deployment passes the first one's <paramref name="keysDir"/>.</summary>
    public static async Task<ServerProcess> StartAsync(string serverDll, string database, string workDir, CancellationToken ct, string? keysDir = null)
    {
        if (!File.Exists(serverDll))
        {
            throw new FileNotFoundException($"The server is not built: {serverDll} (bench/run.sh builds it).");
        }
        keysDir ??= Directory.CreateDirectory(Path.Combine(workDir, "keys")).FullName;
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { serverDll, "--urls", $"http://127.0.0.1:{port}" },
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["LATCHKEY_DATABASE"] = database;
        start.Environment["LATCHKEY_KEYS_DIR"] = keysDir;
        start.Environment["LATCHKEY_ADMIN_EMAIL"] = AdminEmail;
        start.Environment["LATCHKEY_ADMIN_PASSWORD"] = AdminPassword;
        // Request logs at Information would make the benchmark measure console output.
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");

        var log = new StreamWriter(Path.Combine(workDir, "server.log")) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        var server = new ServerProcess(process, log, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
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
    public IReadOnlyDictionary<string, int> Warnings => new SortedDictionary<string, int>(_warnings, StringComparer.Ordinal);

    public string Tail => string.Join('\n', _tail);

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        if (line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
        {
            _warnings.AddOrUpdate(line.Trim(), 1, (_, n) => n + 1);
        }
        _tail.Enqueue(line);
        while (_tail.Count > 40 && _tail.TryDequeue(out _))
        {
        }
        lock (_log)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + 90 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} while starting:\n{Tail}");
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
        throw new TimeoutException($"The server did not answer /healthz with 200 within 90 s:\n{Tail}");
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
        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }
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
