using System.Collections.Concurrent;

namespace Latchkey.Bench;

public sealed record DatabaseResults(
    string Database,
    string Settings,
    PhaseResult Hashes,
    PhaseResult SignUp,
    PhaseResult Login,
    PhaseResult Refresh,
    PhaseResult Jwks,
    PhaseResult CodeSignIn,
    PhaseResult LinkWakeup,
    PhaseResult RawWrites,
    IReadOnlyDictionary<string, int> ServerWarnings);

/// <summary>
/// One database's run: the raw Argon2id rate first (measured again for each database, so every
/// ratio compares numbers taken minutes apart at most, under the same background load), then a
/// server on the database, the four HTTP workloads one after another (sign-ups first,
/// so logins and refresh chains have users), then the server stopped and the raw-write limit
/// measured on a copy of its database.
/// </summary>
public static class DatabaseRun
{
    public static async Task<DatabaseResults> RunAsync(BenchDatabase db, BenchOptions options, CancellationToken ct)
    {
        var idle = await Machine.IdleShareAsync(TimeSpan.FromSeconds(1), ct);
        Log.Info($"{db.Name}: raw Argon2id on {Environment.ProcessorCount} threads for {options.WarmupSeconds:0.#} s + {options.Seconds:0.#} s");
        var hashes = await RawLimits.MeasureHashesAsync(options.Timing, ct);
        Log.Phase(db.Name, hashes);

        PhaseResult signUp, login, refresh, jwks, codeSignIn, linkWakeup;
        IReadOnlyDictionary<string, int> warnings;
        Log.Info($"{db.Name}: starting the server");
        await using (var server = await ServerProcess.StartAsync(options.ServerDll, db.ServerConnectionString, db.WorkDir, ct))
        {
            using var api = new LatchkeyApi(server.BaseAddress);
            await api.CreateBenchAppAsync(ct);
            var accounts = new Accounts(api);

            signUp = await PhaseAsync(server, db, "sign-up", options.HashWorkers, options, _ => accounts.SignUpOnce, ct);

            await accounts.EnsureAsync(1, ct);
            var users = accounts.Users.ToArray();
            var nextUser = -1;
            login = await PhaseAsync(server, db, "login", options.HashWorkers, options, _ => async token =>
            {
                var user = users[(int)((uint)Interlocked.Increment(ref nextUser) % users.Length)];
                return (await api.LoginAsync(user, token)).Outcome;
            }, ct);

            // One independent chain per worker, each from its own sign-up, with spares for chains
            // that end (a rotated token must never be presented twice).
            await accounts.EnsureAsync(2 * options.IoWorkers, ct);
            refresh = await PhaseAsync(server, db, "refresh", options.IoWorkers, options, _ => RefreshChain(api, accounts.UnusedRefreshTokens), ct);

            jwks = await PhaseAsync(server, db, "JWKS fetch", options.IoWorkers, options, _ => api.JwksAsync, ct);

            // Each operation a new email: the resend pause is per address, and an unknown address
            // signs up by code, so this measures sending, reading and verifying a code end to end.
            var nextCode = 0;
            codeSignIn = await PhaseAsync(server, db, "code sign-in", options.IoWorkers, options,
                _ => token => api.CodeSignInAsync($"code{Interlocked.Increment(ref nextCode)}@bench.example", token), ct);

            Log.Info($"{db.Name}: link wake-up across two nodes");
            linkWakeup = await LinkWakeup.MeasureAsync(server, db, options, Path.Combine(db.WorkDir, "keys"), ct);
            Log.Phase(db.Name, linkWakeup);

            warnings = server.Warnings;
            await server.StopAsync();
        }

        Log.Info($"{db.Name}: server stopped; copying its database for the raw-write limit");
        var scratch = await db.CloneAsync(ct);
        var raw = await RawLimits.MeasureWritesAsync(scratch, options.IoWorkers, options.Timing, ct);
        Log.Phase(db.Name, raw);
        var settings = await db.DescribeAsync(ct) + (idle is { } share ? $"; CPU {share * 100:0}% idle just before this run" : "");
        return new DatabaseResults(db.Name, settings, hashes, signUp, login, refresh, jwks, codeSignIn, linkWakeup, raw, warnings);
    }

    private static async Task<PhaseResult> PhaseAsync(
        ServerProcess server, BenchDatabase db, string name, int workers, BenchOptions options, Func<int, Operation> createWorker, CancellationToken ct)
    {
        Log.Info($"{db.Name}: {name} with {workers} workers for {options.WarmupSeconds:0.#} s + {options.Seconds:0.#} s");
        var result = await LoadRunner.RunAsync(name, workers, options.Timing, createWorker, ct, () => server.CpuTime);
        Log.Phase(db.Name, result);
        return result;
    }

    private static Operation RefreshChain(LatchkeyApi api, ConcurrentQueue<string> spares)
    {
        string? token = null;
        return async ct =>
        {
            if (token is null && !spares.TryDequeue(out token))
            {
                return Outcome.Failed("no unused refresh chain left", stopWorker: true);
            }
            var (outcome, next) = await api.RefreshAsync(token, ct);
            if (outcome.Succeeded)
            {
                token = next;
            }
            else if (outcome.Error is ['4', ..])
            {
                // The chain is over (reused, revoked or unknown): go on with a fresh one. After a
                // 5xx or a timeout the same token is sent again: within the reuse interval the
                // server answers the successor it already made.
                token = null;
            }
            return outcome;
        };
    }

    /// <summary>The users signed up so far, and the first refresh token of each, never used yet.</summary>
    private sealed class Accounts(LatchkeyApi api)
    {
        private int _next;

        public ConcurrentQueue<BenchUser> Users { get; } = new();
        public ConcurrentQueue<string> UnusedRefreshTokens { get; } = new();

        public async ValueTask<Outcome> SignUpOnce(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref _next);
            // A fresh database each run, so the addresses never collide; the password passes the
            // server's policy (long enough, not common, not the email).
            var user = new BenchUser($"user{n}@bench.example", $"bench-passphrase-{n}");
            var (outcome, refreshToken) = await api.SignUpAsync(user, ct);
            if (outcome.Succeeded)
            {
                Users.Enqueue(user);
                UnusedRefreshTokens.Enqueue(refreshToken!);
            }
            return outcome;
        }

        /// <summary>Signs up more users one by one until there are <paramref name="count"/> spare refresh chains.</summary>
        public async Task EnsureAsync(int count, CancellationToken ct)
        {
            for (var attempt = 0; UnusedRefreshTokens.Count < count; attempt++)
            {
                if (attempt >= 4 * count + 20)
                {
                    throw new InvalidOperationException($"Could not sign up {count} users for the next phase.");
                }
                var outcome = await SignUpOnce(ct);
                if (!outcome.Succeeded)
                {
                    Log.Info($"seeding sign-up failed: {outcome.Error}");
                    await Task.Delay(100, ct);
                }
            }
        }
    }
}
