using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Latchkey.Bench;

/// <summary>What a phase's tokens do: none, sign-ups that add chains, refreshes that rotate them.</summary>
public enum TokenUse
{
    None,
    Produce,
    Rotate,
}

/// <summary>One closed-loop load for wrk: a script from bench/Latchkey.Bench/wrk against one path.</summary>
public sealed record WrkLoad(string Name, string Script, Uri BaseAddress, string Path, int Connections)
{
    public IReadOnlyList<string> Headers { get; init; } = [];
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    /// <summary>LATCHKEY_WRK_DATA for the script (the login users).</summary>
    public string? DataFile { get; init; }
    public TokenUse Tokens { get; init; }
    public TokenPool? Pool { get; init; }
    public string Describe(int threads) => string.Create(CultureInfo.InvariantCulture, $"wrk {threads}t/{Connections}c");
}

/// <summary>
/// Runs wrk (Debian's, C and epoll: a few percent of a core at tens of thousands of requests per
/// second, so the generator is not what limits the server). Each phase is a warm-up run that is
/// not counted, then the measured run; the CPU shares are sampled inside the measured run.
/// </summary>
public static class Wrk
{
    private static int _runs;

    public static async Task<PhaseResult> PhaseAsync(
        WrkLoad load, BenchOptions options, string workDir, Func<TimeSpan?>? serverCpu, CancellationToken ct, double? seconds = null)
    {
        if (options.WarmupSeconds > 0)
        {
            await RunAsync(load, options.ThreadsFor(load.Connections), TimeSpan.FromSeconds(options.WarmupSeconds), workDir, null, ct);
        }
        return await RunAsync(load, options.ThreadsFor(load.Connections), TimeSpan.FromSeconds(seconds ?? options.Seconds), workDir, serverCpu, ct);
    }

    public static async Task<PhaseResult> RunAsync(
        WrkLoad load, int threads, TimeSpan duration, string workDir, Func<TimeSpan?>? serverCpu, CancellationToken ct)
    {
        var run = Interlocked.Increment(ref _runs).ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("wrk")
        {
            ArgumentList =
            {
                "-t", threads.ToString(CultureInfo.InvariantCulture),
                "-c", load.Connections.ToString(CultureInfo.InvariantCulture),
                "-d", $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s",
                "--timeout", "10s",
                "-s", Script(load.Script, workDir),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var header in load.Headers)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add(header);
        }
        start.ArgumentList.Add(new Uri(load.BaseAddress, load.Path).ToString());
        start.Environment["LATCHKEY_WRK_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["LATCHKEY_WRK_RUN"] = $"w{run}";
        foreach (var (key, value) in load.Environment)
        {
            start.Environment[key] = value;
        }
        if (load.DataFile is not null)
        {
            start.Environment["LATCHKEY_WRK_DATA"] = load.DataFile;
        }
        var outFile = System.IO.Path.Combine(workDir, $"wrk-{run}.out");
        start.Environment["LATCHKEY_WRK_OUT"] = outFile;
        if (load.Tokens == TokenUse.Rotate)
        {
            var tokens = System.IO.Path.Combine(workDir, $"wrk-{run}.tokens");
            await File.WriteAllLinesAsync(tokens, load.Pool!.TakeAll(), ct);
            start.Environment["LATCHKEY_WRK_DATA"] = tokens;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start wrk (bench/run.sh installs it)");
        using var kill = ct.Register(() => KillQuietly(process));
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var cpu = SampleCpuAsync(process, duration, serverCpu, ct);

        using (var limit = new CancellationTokenSource(duration + TimeSpan.FromSeconds(30)))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                KillQuietly(process);
                throw new TimeoutException($"wrk for {load.Name} did not finish in time");
            }
        }
        ct.ThrowIfCancellationRequested();
        var output = await stdout;
        var cpuUse = await cpu;
        if (load.Tokens != TokenUse.None)
        {
            load.Pool!.AddFile(outFile);
        }
        var summary = output.Split('\n').FirstOrDefault(l => l.StartsWith("LATCHKEY_WRK ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk for {load.Name} printed no summary (exit {process.ExitCode}):\n{output}\n{await stderr}");
        return Parse(load, threads, summary["LATCHKEY_WRK ".Length..], cpuUse);
    }

    private static PhaseResult Parse(WrkLoad load, int threads, string json, CpuUse? cpu)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        long Get(string name) => root.GetProperty(name).GetInt64();
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long succeeded;
        var codes = root.GetProperty("codes").EnumerateObject().ToList();
        if (codes.Count > 0)
        {
            succeeded = codes.Where(c => c.Name.StartsWith('2')).Sum(c => c.Value.GetInt64());
            foreach (var code in codes.Where(c => !c.Name.StartsWith('2')))
            {
                errors[$"HTTP {code.Name}"] = code.Value.GetInt64();
            }
        }
        else
        {
            // A static script has no response(): wrk itself counts answers of 400 and above.
            succeeded = Get("requests") - Get("status");
            if (Get("status") > 0)
            {
                errors["HTTP >= 400"] = Get("status");
            }
        }
        foreach (var kind in new[] { "connect", "read", "write", "timeout" })
        {
            if (Get(kind) > 0)
            {
                errors[$"socket {kind}"] = Get(kind);
            }
        }
        return new PhaseResult(load.Name, load.Connections, TimeSpan.FromMicroseconds(Get("duration_us")), succeeded,
            Get("p50_us") / 1000.0, Get("p99_us") / 1000.0, errors, cpu, load.Describe(threads));
    }

    /// <summary>CPU shares inside the run, a little away from its edges (connecting, tearing down).</summary>
    private static async Task<CpuUse?> SampleCpuAsync(Process process, TimeSpan duration, Func<TimeSpan?>? serverCpu, CancellationToken ct)
    {
        var margin = TimeSpan.FromMilliseconds(Math.Min(300, duration.TotalMilliseconds / 10));
        TimeSpan? WrkCpu()
        {
            try
            {
                return process.HasExited ? null : process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
        await Task.Delay(margin, ct);
        var start = Machine.Take(serverCpu, WrkCpu);
        await Task.Delay(duration - 2 * margin, ct);
        return Machine.Between(start, Machine.Take(serverCpu, WrkCpu));
    }

    /// <summary>common.lua followed by the phase's script, written once per work folder.</summary>
    private static string Script(string name, string workDir)
    {
        var path = System.IO.Path.Combine(workDir, $"wrk-{name}");
        if (!File.Exists(path))
        {
            var dir = System.IO.Path.Combine(AppContext.BaseDirectory, "wrk");
            File.WriteAllText(path, File.ReadAllText(System.IO.Path.Combine(dir, "common.lua")) + "\n" + File.ReadAllText(System.IO.Path.Combine(dir, name)));
        }
        return path;
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
    }
}
