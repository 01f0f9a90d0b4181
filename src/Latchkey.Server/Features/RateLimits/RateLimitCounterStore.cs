using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>
/// The atomic steps on <c>rate_limit_counters</c>, the same on SQLite and PostgreSQL: a row is
/// created by INSERT … ON CONFLICT DO NOTHING (whoever loses the race updates the winner's row),
/// and changed only by conditional UPDATEs that compare what they read (a compare-and-swap), so
/// concurrent requests on several nodes never lose a count.
/// </summary>
internal sealed class RateLimitCounterStore(LatchkeyDbContext db)
{
    private const int Tries = 8;

    public readonly record struct FailureCount(int Failures, DateTime? LockedUntil, bool Counted);

    public async Task<List<RateLimitCounter>> ReadAsync(string?[] keys, CancellationToken ct)
    {
        var wanted = keys.OfType<string>().ToArray();
        return wanted.Length switch
        {
            0 => [],
            1 => await db.RateLimitCounters.AsNoTracking().Where(c => c.Key == wanted[0]).ToListAsync(ct),
            _ => await db.RateLimitCounters.AsNoTracking().Where(c => c.Key == wanted[0] || c.Key == wanted[1]).ToListAsync(ct),
        };
    }

    /// <summary>
    /// Adds one consecutive failure and sets the lock the policy gives for the new count. With
    /// <paramref name="onlyIfUnlocked"/>, a locked account is not counted (Counted false, LockedUntil its lock).
    /// </summary>
    public async Task<FailureCount> AddFailureAsync(string key, string appId, RateLimitCounter? row, RateLimitOptions policy, DateTime now,
        bool onlyIfUnlocked, CancellationToken ct)
    {
        for (var i = 0; i < Tries; i++)
        {
            if (row is null)
            {
                // Note: the first failure never locks (at least one is free), so a new row has no lock.
                if (await InsertAsync(key, appId, failures: 1, windowCount: 0, now, ct))
                {
                    return new FailureCount(1, null, true);
                }
                row = await ReadOneAsync(key, ct);
                continue;
            }
            if (onlyIfUnlocked && row.LockedUntil > now)
            {
                return new FailureCount(row.ConsecutiveFailures, row.LockedUntil, false);
            }
            var (seen, failures) = (row.ConsecutiveFailures, row.ConsecutiveFailures + 1);
            var lockedUntil = now + policy.DelayAfter(failures);
            if (row.LockedUntil > now && !(lockedUntil > row.LockedUntil))
            {
                lockedUntil = row.LockedUntil;
            }
            var changed = await db.RateLimitCounters
                .Where(c => c.Key == key && c.ConsecutiveFailures == seen && (!onlyIfUnlocked || c.LockedUntil == null || c.LockedUntil <= now))
                .ExecuteUpdateAsync(c => c
                    .SetProperty(x => x.ConsecutiveFailures, failures)
                    .SetProperty(x => x.LockedUntil, lockedUntil)
                    .SetProperty(x => x.UpdatedAt, now), ct);
            if (changed == 1)
            {
                return new FailureCount(failures, lockedUntil, true);
            }
            row = await ReadOneAsync(key, ct);
        }
        // Many requests fight over one account right now: that is an attack, so fail closed.
        return new FailureCount(row?.ConsecutiveFailures ?? 0, now.AddSeconds(1), false);
    }

    public Task ResetFailuresAsync(string key, DateTime now, CancellationToken ct) =>
        db.RateLimitCounters.Where(c => c.Key == key).ExecuteUpdateAsync(c => c
            .SetProperty(x => x.ConsecutiveFailures, 0)
            .SetProperty(x => x.LockedUntil, (DateTime?)null)
            .SetProperty(x => x.UpdatedAt, now), ct);

    /// <summary>Counts one event in the current fixed window, or starts a new window with it.</summary>
    public async Task AddToWindowAsync(string key, string appId, TimeSpan window, DateTime now, CancellationToken ct)
    {
        var windowOpenSince = now - window;
        for (var i = 0; i < Tries; i++)
        {
            var added = await db.RateLimitCounters
                .Where(c => c.Key == key && c.WindowStart > windowOpenSince)
                .ExecuteUpdateAsync(c => c.SetProperty(x => x.WindowCount, x => x.WindowCount + 1).SetProperty(x => x.UpdatedAt, now), ct);
            if (added == 1 || await InsertAsync(key, appId, failures: 0, windowCount: 1, now, ct))
            {
                return;
            }
            // The row's window is over: start a new one, unless another request just did.
            var row = await ReadOneAsync(key, ct);
            if (row is not null && row.WindowStart <= windowOpenSince)
            {
                var seen = row.WindowStart;
                if (await db.RateLimitCounters
                        .Where(c => c.Key == key && c.WindowStart == seen)
                        .ExecuteUpdateAsync(c => c.SetProperty(x => x.WindowStart, now).SetProperty(x => x.WindowCount, 1).SetProperty(x => x.UpdatedAt, now), ct) == 1)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Claims "one per pause" for a key: null when this caller may go, else when the pause ends.</summary>
    public async Task<DateTime?> TryClaimPauseAsync(string key, string appId, TimeSpan pause, DateTime now, CancellationToken ct)
    {
        var pauseOverSince = now - pause;
        for (var i = 0; i < Tries; i++)
        {
            var claimed = await db.RateLimitCounters
                .Where(c => c.Key == key && c.WindowStart <= pauseOverSince)
                .ExecuteUpdateAsync(c => c.SetProperty(x => x.WindowStart, now).SetProperty(x => x.WindowCount, 1).SetProperty(x => x.UpdatedAt, now), ct);
            if (claimed == 1 || await InsertAsync(key, appId, failures: 0, windowCount: 1, now, ct))
            {
                return null;
            }
            if (await ReadOneAsync(key, ct) is { } row && row.WindowStart > pauseOverSince)
            {
                return row.WindowStart + pause;
            }
        }
        return now.AddSeconds(1);
    }

    private Task<RateLimitCounter?> ReadOneAsync(string key, CancellationToken ct) =>
        db.RateLimitCounters.AsNoTracking().FirstOrDefaultAsync(c => c.Key == key, ct);

    /// <summary>Creates the row unless it exists: true when this call created it.</summary>
    private async Task<bool> InsertAsync(string key, string appId, int failures, int windowCount, DateTime now, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO rate_limit_counters ("Key", "AppId", "ConsecutiveFailures", "WindowStart", "WindowCount", "UpdatedAt")
            VALUES ({key}, {appId}, {failures}, {now}, {windowCount}, {now})
            ON CONFLICT ("Key") DO NOTHING
            """, ct) == 1;
}
