namespace Latchkey.Bench;

/// <summary>Memory after a mixed load: what each load managed, and the server's RSS at the end and at its peak.</summary>
public sealed record MixedResult(IReadOnlyList<PhaseResult> Loads, long? RssAfter, long? RssPeak, TimeSpan Duration);

/// <summary>
/// Several wrk processes at once against one server (GETs, refreshes, logins), one thread each,
/// for the same time and connections on the node and on the ceiling app, so the two RSS figures
/// come from the same load. RSS is sampled every second and read once more when the load ends.
/// </summary>
public static class MixedLoad
{
    public static async Task<MixedResult> RunAsync(string label, ServerProcess server, IReadOnlyList<WrkLoad> loads, double seconds, string workDir, CancellationToken ct)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        Log.Info($"{label}: mixed load for {seconds:0} s: {string.Join(", ", loads.Select(l => $"{l.Name} ({l.Connections}c)"))}");
        var runs = loads.Select(load => Wrk.RunAsync(load, threads: 1, duration, workDir, serverCpu: null, ct)).ToList();
        long? peak = null;
        var all = Task.WhenAll(runs);
        while (!all.IsCompleted)
        {
            if (server.RssBytes is { } rss)
            {
                peak = Math.Max(peak ?? 0, rss);
            }
            await Task.WhenAny(all, Task.Delay(1000, ct));
        }
        var after = server.RssBytes;
        if (after is { } last)
        {
            peak = Math.Max(peak ?? 0, last);
        }
        var results = await all;
        foreach (var result in results)
        {
            Log.Phase(label, result);
        }
        Log.Info($"{label}: RSS after the mixed load {Mb(after)}, peak {Mb(peak)}");
        return new MixedResult(results, after, peak, duration);
    }

    public static string Mb(long? bytes) => bytes is { } b ? $"{b / (1024.0 * 1024):0} MB" : "unknown";
}
