using System.Diagnostics;

namespace Latchkey.Bench;

/// <summary>Shares of all cores over a window: the whole machine, the load generator (wrk and the benchmark) and the server.</summary>
public sealed record CpuUse(double Machine, double Bench, double? Server)
{
    /// <summary>Everything else: PostgreSQL, and anything running beside the benchmark.</summary>
    public double Other => Math.Max(0, Machine - Bench - (Server ?? 0));
}

/// <summary>
/// Where the CPU went. On a 2-core machine the load generator, the server and the database share
/// the cores, and a build running elsewhere halves every number, so the report says which.
/// </summary>
public static class Machine
{
    /// <summary>Idle share of all cores over the interval, from /proc/stat; null where there is none.</summary>
    public static async Task<double?> IdleShareAsync(TimeSpan interval, CancellationToken ct)
    {
        var before = ReadStat();
        await Task.Delay(interval, ct);
        var after = ReadStat();
        return before is { } b && after is { } a && a.Total > b.Total ? (double)(a.Idle - b.Idle) / (a.Total - b.Total) : null;
    }

    /// <summary>A reading to compare with a later one.</summary>
    public readonly record struct Sample(long Idle, long Total, TimeSpan Bench, TimeSpan? Server, long At);

    /// <param name="serverCpu">The server's CPU time so far, when a server is under test.</param>
    /// <param name="generatorCpu">A load generator's CPU time so far (wrk), counted with the benchmark's own.</param>
    public static Sample? Take(Func<TimeSpan?>? serverCpu, Func<TimeSpan?>? generatorCpu = null)
    {
        if (ReadStat() is not { } stat)
        {
            return null;
        }
        using var self = Process.GetCurrentProcess();
        var load = self.TotalProcessorTime + (generatorCpu?.Invoke() ?? TimeSpan.Zero);
        return new Sample(stat.Idle, stat.Total, load, serverCpu?.Invoke(), Stopwatch.GetTimestamp());
    }

    /// <summary>The load averages, as `uptime` prints them, so a noisy run shows in the report.</summary>
    public static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {fields[0]}, {fields[1]}, {fields[2]} (1, 5, 15 min) at {DateTime.Now:HH:mm:ss}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return "load average unknown";
        }
    }

    public static CpuUse? Between(Sample? start, Sample? end)
    {
        if (start is not { } s || end is not { } e || e.Total <= s.Total)
        {
            return null;
        }
        var capacity = Stopwatch.GetElapsedTime(s.At, e.At).TotalSeconds * Environment.ProcessorCount;
        double Share(TimeSpan used) => capacity > 0 ? used.TotalSeconds / capacity : 0;
        return new CpuUse(
            1 - (double)(e.Idle - s.Idle) / (e.Total - s.Total),
            Share(e.Bench - s.Bench),
            s.Server is { } s0 && e.Server is { } s1 ? Share(s1 - s0) : null);
    }

    private static (long Idle, long Total)? ReadStat()
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal ..."
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            return (fields[3] + fields[4], fields.Take(8).Sum());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
