using System.Collections.Concurrent;

namespace Latchkey.Bench;

/// <summary>Users the C# side signs up itself: the login users, and refresh chains when a phase needs more.</summary>
public static class Seeding
{
    private static int _next;

    /// <summary>Signs up <paramref name="count"/> users, four at a time; their first refresh tokens go to the pool.</summary>
    public static async Task<List<BenchUser>> SignUpAsync(LatchkeyApi api, TokenPool pool, int count, CancellationToken ct)
    {
        var users = new ConcurrentBag<BenchUser>();
        var failures = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (_, token) =>
        {
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var n = Interlocked.Increment(ref _next);
                // A fresh database each run, so the addresses never collide; the password passes the
                // server's policy (long enough, not common, not the email).
                var user = new BenchUser($"seed{n}@bench.example", $"bench-passphrase-seed-{n}");
                var (outcome, refresh) = await api.SignUpAsync(user, token);
                if (outcome.Succeeded)
                {
                    users.Add(user);
                    pool.Add([refresh!]);
                    return;
                }
                Interlocked.Increment(ref failures);
                Log.Info($"seeding sign-up failed: {outcome.Error}");
                await Task.Delay(200, token);
            }
        });
        if (users.Count < count)
        {
            throw new InvalidOperationException($"Could only sign up {users.Count} of {count} users ({failures} failures).");
        }
        return users.ToList();
    }

    /// <summary>Tops the pool up to <paramref name="count"/> unused refresh chains.</summary>
    public static async Task EnsureChainsAsync(LatchkeyApi api, TokenPool pool, int count, CancellationToken ct)
    {
        if (pool.Count < count)
        {
            Log.Info($"signing up {count - pool.Count} more users for refresh chains");
            await SignUpAsync(api, pool, count - pool.Count, ct);
        }
    }

    /// <summary>"email TAB password" lines for wrk's login script.</summary>
    public static string WriteUsersFile(IEnumerable<BenchUser> users, string workDir)
    {
        var path = Path.Combine(workDir, "login-users.tsv");
        File.WriteAllLines(path, users.Select(u => $"{u.Email}\t{u.Password}"));
        return path;
    }
}
