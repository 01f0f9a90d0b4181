using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Latchkey.Tests.Infrastructure;

/// <summary>
/// A real Latchkey process on 127.0.0.1, for what an in-process server cannot show: a second
/// node on the same database, or a client outside .NET (node's jose) reaching it over TCP.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output;

    private ServerProcess(Process process, Uri baseAddress, System.Text.StringBuilder output)
    {
        _process = process;
        BaseAddress = baseAddress;
        _output = output;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the process wrote to stdout and stderr so far (its console log).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>
    /// Starts a node; <paramref name="environment"/> adds or overrides variables (e.g. Latchkey__RateLimits__FreeFailures).
    /// It runs in the server's output folder unless <paramref name="workingDirectory"/> names another, and
    /// listens on <paramref name="host"/> (127.0.0.1; <c>localhost</c> where a browser needs a name, as passkeys do;
    /// <c>0.0.0.0</c>, every interface, is then reached at 127.0.0.1).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(TestDatabase database, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null, string host = "127.0.0.1")
    {
        var port = FreePort();
        var baseAddress = new Uri($"http://{(host == "0.0.0.0" ? "127.0.0.1" : host)}:{port}");
        var (process, output) = Launch(database, $"http://{host}:{port}", environment, workingDirectory);

        var server = new ServerProcess(process, baseAddress, output);
        using var client = server.CreateClient();
        // Generous: a busy 2-core machine starts a process several times slower than an idle one.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                break;
            }
            try
            {
                if ((await client.GetAsync("/readyz", ct)).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200, ct);
        }
        await server.DisposeAsync();
        lock (output)
        {
            throw new InvalidOperationException($"The server process did not become ready:\n{output}");
        }
    }

    /// <summary>
    /// Runs a node that is expected to stop by itself (a start refused by its settings), listening
    /// on <paramref name="urls"/>; answers its exit code and everything it wrote.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(TestDatabase database, string urls, CancellationToken ct,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var (process, output) = Launch(database, urls.Replace("{port}", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            environment, workingDirectory: null);
        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                lock (output)
                {
                    throw new InvalidOperationException($"The server process did not stop by itself within 60 s:\n{output}");
                }
            }
            // Note: the parameterless wait lets the redirected output drain to its end.
            process.WaitForExit();
            lock (output)
            {
                return (process.ExitCode, output.ToString());
            }
        }
    }

    private static (Process Process, System.Text.StringBuilder Output) Launch(TestDatabase database, string urls,
        IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
    {
        var serverDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [serverDll, "--urls", urls])
        {
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["LATCHKEY_DATABASE"] = database.ConnectionString;
        start.Environment["LATCHKEY_KEYS_DIR"] = database.KeysDir;
        start.Environment["LATCHKEY_ADMIN_EMAIL"] = LatchkeyFactory.AdminEmail;
        start.Environment["LATCHKEY_ADMIN_PASSWORD"] = LatchkeyFactory.AdminPassword;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Latchkey__Passwords__MemoryKiB"] = LatchkeyFactory.CheapHashMemoryKiB;
        start.Environment["Latchkey__Passwords__Iterations"] = "1";
        start.Environment["Latchkey__Passwords__MaxQueueWaitMilliseconds"] = LatchkeyFactory.TolerantHashWaitMilliseconds;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the server process.");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    /// <summary>A TCP port free on 127.0.0.1 now (for a node, or a client's loopback redirect listener).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
