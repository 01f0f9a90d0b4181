using System.Diagnostics;

namespace Latchkey.Bench;

/// <summary>What one operation came to: success, or an error label (e.g. "429 rate_limited").</summary>
public readonly record struct Outcome(string? Error, bool StopWorker = false)
{
    public static readonly Outcome Success = new(null);
    public bool Succeeded => Error is null;
    public static Outcome Failed(string error, bool stopWorker = false) => new(error, stopWorker);
}

/// <summary>One worker's operation; each worker gets its own so it can keep state (a refresh chain).</summary>
public delegate ValueTask<Outcome> Operation(CancellationToken ct);

/// <summary>How long a phase runs: a warm-up that is not counted, then the measured window.</summary>
public sealed record Timing(TimeSpan Warmup, TimeSpan Measure, long MaxOpsPerWorker);

public sealed record PhaseResult(
    string Name,
    int Workers,
    TimeSpan Window,
    long Succeeded,
    double P50Ms,
    double P99Ms,
    IReadOnlyDictionary<string, long> Errors,
    CpuUse? Cpu,
    string? Load = null)
{
    public double OpsPerSecond => Window > TimeSpan.Zero ? Succeeded / Window.TotalSeconds : 0;
    public long ErrorCount => Errors.Values.Sum();
}

/// <summary>
/// A closed-loop load generator: a fixed number of workers, each sending its next request as soon
/// as the previous one answered, for a fixed time and a bounded count. An operation counts when it
/// completes inside the measured window, so the rate is completions per window second and no
/// half-finished request at either edge is counted; only successes go into the latencies.
/// </summary>
public static class LoadRunner
{
    /// <param name="serverCpu">The server's CPU time so far, when a server is under test.</param>
    public static async Task<PhaseResult> RunAsync(
        string name, int workers, Timing timing, Func<int, Operation> createWorker, CancellationToken ct,
        Func<TimeSpan?>? serverCpu = null)
    {
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + ToTicks(timing.Warmup);
        var windowEnd = windowStart + ToTicks(timing.Measure);
        var cpu = MeasureCpuAsync(timing, serverCpu, ct);

        var tallies = new WorkerTally[workers];
        var tasks = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            var tally = tallies[i] = new WorkerTally();
            var operation = createWorker(i);
            // LongRunning gives each worker its own thread for its synchronous part, so CPU-bound
            // operations (the raw Argon2id loop) run truly in parallel instead of queueing on a
            // pool that starts with one thread per core.
            tasks[i] = Task.Factory.StartNew(
                () => WorkAsync(operation, tally, timing.MaxOpsPerWorker, windowStart, windowEnd, ct),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
        await Task.WhenAll(tasks);
        ct.ThrowIfCancellationRequested();
        var cpuUse = await cpu;

        var latencies = tallies.SelectMany(t => t.LatenciesMs).ToArray();
        Array.Sort(latencies);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (label, count) in tallies.SelectMany(t => t.Errors))
        {
            errors[label] = errors.GetValueOrDefault(label) + count;
        }
        return new PhaseResult(name, workers, timing.Measure, latencies.Length,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), errors, cpuUse, $"bench {workers} workers");
    }

    /// <summary>CPU shares over the measured window only, beside the load.</summary>
    private static async Task<CpuUse?> MeasureCpuAsync(Timing timing, Func<TimeSpan?>? serverCpu, CancellationToken ct)
    {
        await Task.Delay(timing.Warmup, ct);
        var start = Machine.Take(serverCpu);
        await Task.Delay(timing.Measure, ct);
        return Machine.Between(start, Machine.Take(serverCpu));
    }

    private static async Task WorkAsync(
        Operation operation, WorkerTally tally, long maxOps, long windowStart, long windowEnd, CancellationToken ct)
    {
        for (long n = 0; n < maxOps && Stopwatch.GetTimestamp() < windowEnd; n++)
        {
            ct.ThrowIfCancellationRequested();
            var sent = Stopwatch.GetTimestamp();
            Outcome outcome;
            try
            {
                outcome = await operation(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // HttpClient reports its own timeout as a TaskCanceledException.
                outcome = Outcome.Failed(e is TaskCanceledException ? "client timeout" : e.GetType().Name);
            }
            var done = Stopwatch.GetTimestamp();
            if (done >= windowStart && done <= windowEnd)
            {
                if (outcome.Succeeded)
                {
                    tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(sent, done).TotalMilliseconds);
                }
                else
                {
                    tally.Errors[outcome.Error!] = tally.Errors.GetValueOrDefault(outcome.Error!) + 1;
                }
            }
            if (outcome.StopWorker)
            {
                return;
            }
        }
    }

    /// <summary>Nearest-rank percentile of sorted values; NaN when there are none.</summary>
    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class WorkerTally
    {
        public List<double> LatenciesMs { get; } = new(4096);
        public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);
    }
}
