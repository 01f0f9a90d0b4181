using System.Collections.Concurrent;

namespace Latchkey.Bench;

/// <summary>The overload test: refreshes and JWKS alone, then the same beside logins at 4× the sustainable rate.</summary>
public sealed record OverloadResult(double SustainableLogins, StreamResult SoloRefresh, StreamResult SoloJwks, StreamResult FloodRefresh, StreamResult FloodJwks, StreamResult FloodLogins)
{
    /// <summary>Every 429 answer to a login, with or without Retry-After.</summary>
    public double[] RefusalLatencies => FloodLogins.LatenciesMs.Where(l => l.Key.StartsWith("429", StringComparison.Ordinal))
        .SelectMany(l => l.Value).Order().ToArray();

    public long RefusalsWithoutRetryAfter => FloodLogins.LatenciesMs.Where(l => l.Key.EndsWith("without Retry-After", StringComparison.Ordinal)).Sum(l => (long)l.Value.Length);
}

/// <summary>
/// Open-loop, because a closed loop cannot offer more than the server answers. Refreshes and JWKS
/// are offered at a quarter of the rate each reached alone (well under capacity, capped so the C#
/// generator stays small beside the server) for the same window twice: alone, then with logins
/// offered at 4× the login rate measured just before. A server that hashes on its request threads
/// starves them and the two rates fall; one that hashes on its own threads and refuses the excess
/// at once keeps them.
/// </summary>
public static class Overload
{
    public static async Task<OverloadResult> RunAsync(
        string label, ServerProcess server, TokenPool pool, IReadOnlyList<BenchUser> users, double loginRate, double refreshRate, double jwksRate, BenchOptions options, CancellationToken ct)
    {
        using var api = new LatchkeyApi(server.BaseAddress, TimeSpan.FromSeconds(10));
        var chains = new ConcurrentQueue<string>(pool.TakeAll());
        var refresh = new OpenStream("refresh", Math.Clamp(refreshRate / 4, 5, 400), async ct2 =>
        {
            if (!chains.TryDequeue(out var token))
            {
                return Outcome.Failed("no unused refresh chain free");
            }
            var (outcome, next) = await api.RefreshAsync(token, ct2);
            if (outcome.Succeeded)
            {
                chains.Enqueue(next!);
            }
            else if (outcome.Error is not ['4', ..])
            {
                // A timeout or 5xx: the same token may be presented again (the server answers the successor it made).
                chains.Enqueue(token);
            }
            return outcome;
        });
        var jwks = new OpenStream("JWKS", Math.Clamp(jwksRate / 4, 20, 1500), ct2 => api.GetAsync(LatchkeyApi.JwksPath, ct2));
        var next = -1;
        var logins = new OpenStream("login", Math.Max(4, 4 * loginRate), ct2 =>
            api.LoginStatusAsync(users[(int)((uint)Interlocked.Increment(ref next) % users.Count)], ct2));

        try
        {
            Log.Info($"{label}: overload, alone: refresh {refresh.PerSecond:0}/s + JWKS {jwks.PerSecond:0}/s for {options.WarmupSeconds:0.#} s + {options.Seconds:0.#} s");
            var solo = await OpenLoop.RunAsync([refresh, jwks], options.Timing, ct);
            Log.Info($"{label}: overload, with logins at {logins.PerSecond:0}/s (4× {loginRate:0.0}/s)");
            var flood = await OpenLoop.RunAsync([refresh, jwks, logins], options.Timing, ct);
            var result = new OverloadResult(loginRate, solo[0], solo[1], flood[0], flood[1], flood[2]);
            Log.Info($"{label}: overload: {Describe(result.FloodLogins)}; refresh {result.FloodRefresh.PerSecond(OpenLoop.Ok):0.0}/s (alone {result.SoloRefresh.PerSecond(OpenLoop.Ok):0.0}/s), " +
                $"JWKS {result.FloodJwks.PerSecond(OpenLoop.Ok):0.0}/s (alone {result.SoloJwks.PerSecond(OpenLoop.Ok):0.0}/s)");
            return result;
        }
        finally
        {
            pool.Add(chains);
        }
    }

    /// <summary>"ok 61.0/s (p99 880 ms), 429 rate_limited 240.2/s (p99 3.1 ms); 1212 sent, 1180 answered in the window".</summary>
    public static string Describe(StreamResult stream) =>
        string.Join(", ", stream.Outcomes.Order(StringComparer.Ordinal).Select(o => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{o} {stream.PerSecond(o):0.0}/s (p99 {stream.P99(o):0.#} ms)")))
        + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; {stream.SentInWindow} sent, {stream.Total} answered in the window");
}
