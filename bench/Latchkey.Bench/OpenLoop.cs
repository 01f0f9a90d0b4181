using System.Diagnostics;

namespace Latchkey.Bench;

/// <summary>One stream of an open-loop load: an operation sent at a fixed rate, whatever the answers do.</summary>
public sealed record OpenStream(string Name, double PerSecond, Func<CancellationToken, ValueTask<Outcome>> Operation);

/// <summary>What one stream came to inside the measured window, by outcome ("ok", "429 rate_limited", …).</summary>
public sealed record StreamResult(string Name, double OfferedPerSecond, TimeSpan Window, long SentInWindow, IReadOnlyDictionary<string, double[]> LatenciesMs)
{
    public long Count(string outcome) => LatenciesMs.TryGetValue(outcome, out var l) ? l.Length : 0;
    public double PerSecond(string outcome) => Count(outcome) / Window.TotalSeconds;
    public double P99(string outcome) => LatenciesMs.TryGetValue(outcome, out var l) && l.Length > 0 ? l[Math.Clamp((int)Math.Ceiling(0.99 * l.Length) - 1, 0, l.Length - 1)] : double.NaN;
    public long Total => LatenciesMs.Values.Sum(l => (long)l.Length);
    public IEnumerable<string> Outcomes => LatenciesMs.Keys;
}

/// <summary>
/// An open-loop generator for the overload test: each stream's requests leave on a fixed schedule,
/// so a slow server meets the same arrival rate instead of a politely waiting client (a closed loop
/// cannot offer "4× the sustainable rate"). Latency runs from the scheduled moment, so a late send
/// counts against the server too. A request counts when it completes inside the measured window.
/// </summary>
public static class OpenLoop
{
    public const string Ok = "ok";

    public static async Task<IReadOnlyList<StreamResult>> RunAsync(IReadOnlyList<OpenStream> streams, Timing timing, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + (long)(timing.Warmup.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(timing.Measure.TotalSeconds * Stopwatch.Frequency);
        var tallies = streams.Select(_ => new Dictionary<string, List<double>>(StringComparer.Ordinal)).ToArray();
        var inFlight = new List<Task>();
        var sent = new long[streams.Count];
        var sentInWindow = new long[streams.Count];

        while (Stopwatch.GetTimestamp() < windowEnd)
        {
            ct.ThrowIfCancellationRequested();
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            for (var s = 0; s < streams.Count; s++)
            {
                // Every request due by now leaves now: the schedule never slips, it only bunches.
                for (var due = (long)(elapsed * streams[s].PerSecond); sent[s] < due; sent[s]++)
                {
                    var scheduled = start + (long)(sent[s] / streams[s].PerSecond * Stopwatch.Frequency);
                    if (scheduled >= windowStart)
                    {
                        sentInWindow[s]++;
                    }
                    inFlight.Add(SendAsync(streams[s], tallies[s], scheduled, windowStart, windowEnd, ct));
                }
            }
            inFlight.RemoveAll(t => t.IsCompleted);
            await Task.Delay(1, ct);
        }
        await Task.WhenAll(inFlight);
        return streams.Select((stream, i) => new StreamResult(stream.Name, stream.PerSecond, timing.Measure, sentInWindow[i],
            tallies[i].ToDictionary(t => t.Key, t => t.Value.Order().ToArray(), StringComparer.Ordinal))).ToList();
    }

    private static async Task SendAsync(OpenStream stream, Dictionary<string, List<double>> tally, long scheduled, long windowStart, long windowEnd, CancellationToken ct)
    {
        await Task.Yield();
        Outcome outcome;
        try
        {
            outcome = await stream.Operation(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            outcome = Outcome.Failed(e is TaskCanceledException ? "client timeout" : e.GetType().Name);
        }
        var done = Stopwatch.GetTimestamp();
        if (done < windowStart || done > windowEnd)
        {
            return;
        }
        var label = outcome.Error ?? Ok;
        lock (tally)
        {
            if (!tally.TryGetValue(label, out var latencies))
            {
                tally[label] = latencies = [];
            }
            latencies.Add(Stopwatch.GetElapsedTime(scheduled, done).TotalMilliseconds);
        }
    }
}
