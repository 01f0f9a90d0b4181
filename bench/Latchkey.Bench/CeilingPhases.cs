using System.Globalization;

namespace Latchkey.Bench;

public sealed record CeilingResults(PhaseResult Jwks, PhaseResult Refresh, PhaseResult Hash, MixedResult Mixed, long? IdleRss, string Gc);

/// <summary>
/// The ceiling app (bench/Latchkey.Ceiling) on the copy of the node's database, through the loads
/// the node had: (a) GET /jwks, the node's JWKS bytes and headers from memory; (b) POST /refresh,
/// the raw UPDATE + INSERT; (c) POST /hash, one Argon2id hash at the node's cost on dedicated
/// threads; then the same mixed load, for RSS.
/// </summary>
public static class CeilingPhases
{
    public static async Task<CeilingResults> RunAsync(
        BenchDatabase db, string scratch, LatchkeyApi.Document jwks, int memoryKiB, int iterations, BenchOptions options, CancellationToken ct)
    {
        var workDir = Directory.CreateDirectory(Path.Combine(db.WorkDir, "ceiling")).FullName;
        var jwksFile = Path.Combine(workDir, "jwks.json");
        await File.WriteAllBytesAsync(jwksFile, jwks.Body, ct);
        var environment = new Dictionary<string, string>
        {
            ["CEILING_JWKS_FILE"] = jwksFile,
            ["CEILING_JWKS_CONTENT_TYPE"] = jwks.ContentType ?? "application/json",
            ["CEILING_JWKS_CACHE_CONTROL"] = jwks.CacheControl ?? "",
            ["CEILING_JWKS_ETAG"] = jwks.ETag ?? "",
            ["CEILING_DB_KIND"] = db.Kind,
            ["CEILING_DB"] = scratch,
            ["CEILING_APP_ID"] = LatchkeyApi.AppId,
            ["CEILING_ARGON2_MEMORY_KIB"] = memoryKiB.ToString(CultureInfo.InvariantCulture),
            ["CEILING_ARGON2_ITERATIONS"] = iterations.ToString(CultureInfo.InvariantCulture),
        };
        Log.Info($"{db.Name}: starting the ceiling app");
        await using var ceiling = await ServerProcess.StartCeilingAsync(options.CeilingDll, options.ServerDll, workDir, environment, ct);
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var idleRss = ceiling.RssBytes;
        Log.Info($"{db.Name}: ceiling idle RSS {MixedLoad.Mb(idleRss)}");

        var root = ceiling.BaseAddress;
        // Bodies shaped like the node's: a 43-character refresh token, a login.
        var refreshBody = new Dictionary<string, string> { ["LATCHKEY_WRK_BODY"] = $$"""{"refresh_token":"{{new string('r', 43)}}"}""" };
        var hashBody = new Dictionary<string, string> { ["LATCHKEY_WRK_BODY"] = """{"handle":"seed1@bench.example","password":"bench-passphrase-seed-1"}""" };
        async Task<PhaseResult> Phase(WrkLoad load)
        {
            Log.Info($"{db.Name}: ceiling {load.Name} with {load.Describe(options.ThreadsFor(load.Connections))} for {options.WarmupSeconds:0.#} s + {options.Seconds:0.#} s");
            var result = await Wrk.PhaseAsync(load, options, workDir, () => ceiling.CpuTime, ct);
            Log.Phase(db.Name, result);
            return result;
        }
        var jwksGet = await Phase(new WrkLoad("(a) GET of the JWKS bytes", "get.lua", root, "jwks", options.GetConnections));
        var refresh = await Phase(new WrkLoad("(b) POST + UPDATE + INSERT", "post.lua", root, "refresh", options.RefreshConnections) { Environment = refreshBody });
        var hash = await Phase(new WrkLoad("(c) POST + one Argon2id hash", "post.lua", root, "hash", options.HashConnections) { Environment = hashBody });

        var mixedConnections = NodePhases.MixedConnections(options);
        var mixed = await MixedLoad.RunAsync($"{db.Name} ceiling", ceiling,
        [
            new WrkLoad("(a) for JWKS", "get.lua", root, "jwks", mixedConnections.Get),
            new WrkLoad("(a) for /me", "get.lua", root, "jwks", mixedConnections.Get),
            new WrkLoad("(b) for refresh", "post.lua", root, "refresh", mixedConnections.Refresh) { Environment = refreshBody },
            new WrkLoad("(c) for login", "post.lua", root, "hash", options.HashConnections) { Environment = hashBody },
        ], options.MixedSeconds, workDir, ct);
        await ceiling.StopAsync();
        return new CeilingResults(jwksGet, refresh, hash, mixed, idleRss, ServerProcess.GcSettings(options.ServerDll));
    }
}
