namespace Latchkey.Bench;

/// <summary>ETag, Cache-Control and a 304 on If-None-Match, for JWKS and discovery.</summary>
public sealed record CachingCheck(string Summary, bool Passed);

public sealed record NodeResults(
    LatchkeyApi.Document JwksDocument,
    long? IdleRss,
    PhaseResult SignUp,
    PhaseResult Login,
    PhaseResult Refresh,
    PhaseResult OidcSignIn,
    PhaseResult OidcRefresh,
    PhaseResult Jwks,
    PhaseResult Discovery,
    PhaseResult Me,
    CachingCheck Caching,
    OverloadResult? Overload,
    MixedResult Mixed,
    PhaseResult? CodeSignIn,
    PhaseResult? LinkWakeup,
    IReadOnlyDictionary<string, int> Warnings);

/// <summary>
/// A Latchkey node on the database through every phase: sign-ups first (they make the refresh
/// chains), logins, refreshes, the OpenID Connect sign-in and refresh, the GETs, the overload test, the mixed load for RSS, and in a full
/// run code sign-ins and the link wake-up across two nodes.
/// </summary>
public static class NodePhases
{
    private const int LoginUsers = 16;

    public static async Task<NodeResults> RunAsync(BenchDatabase db, BenchOptions options, CancellationToken ct)
    {
        var workDir = db.WorkDir;
        Log.Info($"{db.Name}: starting the Latchkey node");
        await using var server = await ServerProcess.StartAsync(options.ServerDll, db.ServerConnectionString, workDir, ct);
        using var api = new LatchkeyApi(server.BaseAddress);
        await api.CreateBenchAppAsync(ct);
        // Idle: started, migrated, the app created, nothing asked of it for a moment.
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var idleRss = server.RssBytes;
        Log.Info($"{db.Name}: node idle RSS {MixedLoad.Mb(idleRss)}");

        var pool = new TokenPool();
        var users = await Seeding.SignUpAsync(api, pool, LoginUsers, ct);
        var usersFile = Seeding.WriteUsersFile(users, workDir);
        var jwksDocument = await api.GetDocumentAsync(LatchkeyApi.JwksPath, ct);
        if (jwksDocument.Status != 200)
        {
            throw new InvalidOperationException($"GET {LatchkeyApi.JwksPath} answered {jwksDocument.Status}");
        }
        var caching = await CheckCachingAsync(api, ct);
        Log.Info($"{db.Name}: caching: {caching.Summary}");

        var root = server.BaseAddress;
        // The mixed load's streams, with fresh refresh chains and a fresh access token for each run.
        async Task<WrkLoad[]> MixedStreamsAsync()
        {
            var connections = MixedConnections(options);
            await Seeding.EnsureChainsAsync(api, pool, 3 * connections.Refresh, ct);
            var mixedBearer = $"Authorization: Bearer {await api.AccessTokenAsync(users[0], ct)}";
            return
            [
                new WrkLoad("JWKS GET", "get.lua", root, LatchkeyApi.JwksPath, connections.Get),
                new WrkLoad("GET /me", "get.lua", root, LatchkeyApi.MePath, connections.Get) { Headers = [mixedBearer] },
                new WrkLoad("refresh", "refresh.lua", root, LatchkeyApi.RefreshPath, connections.Refresh) { Tokens = TokenUse.Rotate, Pool = pool },
                new WrkLoad("password login", "login.lua", root, LatchkeyApi.LoginPath, options.HashConnections) { DataFile = usersFile },
            ];
        }
        if (options.NodeWarmupSeconds > 0)
        {
            // Unmeasured: the node's JIT settles, as on a node that has served for a while.
            var warmDiscovery = new WrkLoad("discovery GET", "get.lua", root, LatchkeyApi.DiscoveryPath, MixedConnections(options).Get);
            await MixedLoad.RunAsync($"{db.Name}: warm-up", server, [warmDiscovery, .. await MixedStreamsAsync()], options.NodeWarmupSeconds, workDir, ct);
        }
        Task<PhaseResult> Phase(WrkLoad load)
        {
            Log.Info($"{db.Name}: {load.Name} with {load.Describe(options.ThreadsFor(load.Connections))} for {options.WarmupSeconds:0.#} s + {options.Seconds:0.#} s");
            return Wrk.PhaseAsync(load, options, workDir, () => server.CpuTime, ct);
        }
        async Task<PhaseResult> HashingPhase(WrkLoad load)
        {
            if (options.HashWarmupSeconds > 0)
            {
                // Unmeasured: this path alone until its JIT tiers settle (see HashWarmupSeconds).
                Log.Info($"{db.Name}: {load.Name} warm-up, alone, for {options.HashWarmupSeconds:0.#} s");
                await Wrk.RunAsync(load, options.ThreadsFor(load.Connections), TimeSpan.FromSeconds(options.HashWarmupSeconds), workDir, null, ct);
            }
            return await Phase(load);
        }
        var signUp = Logged(db, await HashingPhase(new WrkLoad("sign-up", "signup.lua", root, LatchkeyApi.SignUpPath, options.HashConnections) { Tokens = TokenUse.Produce, Pool = pool }));
        var login = Logged(db, await HashingPhase(new WrkLoad("password login", "login.lua", root, LatchkeyApi.LoginPath, options.HashConnections) { DataFile = usersFile }));
        await Seeding.EnsureChainsAsync(api, pool, 3 * options.RefreshConnections, ct);
        var refresh = Logged(db, await Phase(new WrkLoad("refresh", "refresh.lua", root, LatchkeyApi.RefreshPath, options.RefreshConnections) { Tokens = TokenUse.Rotate, Pool = pool }));
        // X1: the provider's sign-in from a browser that holds the session, and its refresh, beside /token.
        using var oidc = await OidcClient.StartAsync(api, root, users[0], ct);
        Log.Info($"{db.Name}: OIDC sign-in with {options.IoWorkers} workers");
        var oidcSignIn = Logged(db, await LoadRunner.RunAsync("OIDC sign-in (authorize + code exchange)", options.IoWorkers, options.Timing,
            _ => async token => (await oidc.SignInAsync(token)).Outcome, ct, () => server.CpuTime));
        var oidcPool = new TokenPool();
        await oidc.EnsureChainsAsync(oidcPool, 3 * options.RefreshConnections, ct);
        var oidcRefresh = Logged(db, await Phase(new WrkLoad("OIDC refresh", "oidc-refresh.lua", root, OidcClient.TokenPath, options.RefreshConnections)
        {
            Tokens = TokenUse.Rotate, Pool = oidcPool, Environment = new Dictionary<string, string> { ["LATCHKEY_WRK_CLIENT_ID"] = OidcClient.ClientId },
        }));
        var jwks = Logged(db, await Phase(new WrkLoad("JWKS GET", "get.lua", root, LatchkeyApi.JwksPath, options.GetConnections)));
        var discovery = Logged(db, await Phase(new WrkLoad("discovery GET", "get.lua", root, LatchkeyApi.DiscoveryPath, options.GetConnections)));
        var bearer = $"Authorization: Bearer {await api.AccessTokenAsync(users[0], ct)}";
        var me = Logged(db, await Phase(new WrkLoad("GET /me", "get.lua", root, LatchkeyApi.MePath, options.GetConnections) { Headers = [bearer] }));

        OverloadResult? overload = null;
        if (login.OpsPerSecond > 0 && refresh.OpsPerSecond > 0 && jwks.OpsPerSecond > 0)
        {
            await Seeding.EnsureChainsAsync(api, pool, 64, ct);
            overload = await Overload.RunAsync(db.Name, server, pool, users, login.OpsPerSecond, refresh.OpsPerSecond, jwks.OpsPerSecond, options, ct);
        }
        else
        {
            Log.Info($"{db.Name}: overload test skipped: login, refresh or JWKS managed nothing");
        }

        var mixed = await MixedLoad.RunAsync(db.Name, server, await MixedStreamsAsync(), options.MixedSeconds, workDir, ct);

        PhaseResult? codeSignIn = null, linkWakeup = null;
        if (!options.Quick)
        {
            // Each operation a new email: the resend pause is per address, and an unknown address
            // signs up by code, so this measures sending, reading and verifying a code end to end.
            var nextCode = 0;
            Log.Info($"{db.Name}: code sign-in with {options.IoWorkers} workers");
            codeSignIn = Logged(db, await LoadRunner.RunAsync("code sign-in (3 requests)", options.IoWorkers, options.Timing,
                _ => token => api.CodeSignInAsync($"code{Interlocked.Increment(ref nextCode)}@bench.example", token), ct, () => server.CpuTime));
            Log.Info($"{db.Name}: link wake-up across two nodes");
            linkWakeup = Logged(db, await LinkWakeup.MeasureAsync(server, db, options, Path.Combine(workDir, "keys"), ct));
        }

        var warnings = server.Warnings;
        await server.StopAsync();
        return new NodeResults(jwksDocument, idleRss, signUp, login, refresh, oidcSignIn, oidcRefresh, jwks, discovery, me, caching, overload, mixed, codeSignIn, linkWakeup, warnings);
    }

    /// <summary>The mixed load's connections: a quarter of the GET phases' per GET stream, half the refresh phase's.</summary>
    public static (int Get, int Refresh) MixedConnections(BenchOptions options) =>
        (Math.Max(1, options.GetConnections / 4), Math.Max(1, options.RefreshConnections / 2));

    private static PhaseResult Logged(BenchDatabase db, PhaseResult result)
    {
        Log.Phase(db.Name, result);
        return result;
    }

    private static async Task<CachingCheck> CheckCachingAsync(LatchkeyApi api, CancellationToken ct)
    {
        var parts = new List<string>();
        var passed = true;
        foreach (var (name, path) in new[] { ("JWKS", LatchkeyApi.JwksPath), ("discovery", LatchkeyApi.DiscoveryPath) })
        {
            var first = await api.GetDocumentAsync(path, ct);
            var cache = first.CacheControl is { } cc ? $"Cache-Control {cc}" : "no Cache-Control";
            if (first.ETag is not { } etag)
            {
                parts.Add($"{name}: no ETag, {cache}");
                passed = false;
                continue;
            }
            var again = await api.GetDocumentAsync(path, ct, ifNoneMatch: etag);
            parts.Add($"{name}: ETag, {cache}, If-None-Match → {again.Status}");
            passed &= again.Status == 304 && first.CacheControl is not null;
        }
        return new CachingCheck(string.Join("; ", parts), passed);
    }
}
