using System.Globalization;
using System.Text;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>
/// The atomic steps on <c>rate_limit_counters</c>, the same on SQLite and PostgreSQL. An attempt is
/// reserved by one INSERT … ON CONFLICT DO UPDATE … RETURNING over all the counters it spends (an
/// account's consecutive failures, windows of addresses, apps or countries): each row counts it
/// unless that row is locked or spent, and answers only if it counted, so concurrent requests on
/// any number of nodes are serialised by the rows themselves and never lose a count.
/// </summary>
internal sealed class RateLimitCounterStore(LatchkeyDbContext db)
{
    private const int Tries = 8;

    /// <summary>A counter as a reservation left it.</summary>
    public sealed class Counted
    {
        public string Key { get; set; } = "";
        public int ConsecutiveFailures { get; set; }
        public DateTime WindowStart { get; set; }
        public int WindowCount { get; set; }
        public DateTime? LockedUntil { get; set; }
    }

    /// <summary>One fixed-window budget a reservation spends: at most <paramref name="Budget"/> per window.</summary>
    public readonly record struct Window(string Key, int Budget);

    public async Task<List<RateLimitCounter>> ReadAsync(string?[] keys, CancellationToken ct)
    {
        var wanted = keys.OfType<string>().ToArray();
        return wanted.Length switch
        {
            0 => [],
            1 => await db.RateLimitCounters.AsNoTracking().Where(c => c.Key == wanted[0]).ToListAsync(ct),
            _ => await db.RateLimitCounters.AsNoTracking().Where(c => wanted.Contains(c.Key)).ToListAsync(ct),
        };
    }

    /// <summary>
    /// In one statement: adds a consecutive failure to <paramref name="accountKey"/> (with the lock
    /// the policy gives the new count) unless it is locked now, and one event to each window that is
    /// not spent (a window that is over starts again with it). Answers the rows that counted it.
    /// </summary>
    public async Task<List<Counted>> ReserveAsync(string appId, string? accountKey, RateLimitOptions? policy, IReadOnlyList<Window> windows,
        TimeSpan window, DateTime now, CancellationToken ct)
    {
        var sql = new SqlBuilder();
        var since = now - window;
        // Note: rows in key order, as every statement here touches them, so that two statements never wait on each other's rows.
        var keys = windows.Select(w => w.Key).Append(accountKey).OfType<string>().Order(StringComparer.Ordinal).ToList();
        var firstLock = accountKey is null ? null : now + policy!.DelayAfter(1);
        sql.Append("""INSERT INTO rate_limit_counters AS c ("Key", "AppId", "ConsecutiveFailures", "WindowStart", "WindowCount", "LockedUntil", "UpdatedAt") VALUES """);
        for (var i = 0; i < keys.Count; i++)
        {
            var isAccount = keys[i] == accountKey;
            sql.Append(i == 0 ? "(" : ", (").Param(keys[i]).Append(", ").Param(appId).Append(isAccount ? ", 1, " : ", 0, ").Param(now)
                .Append(isAccount ? ", 0, " : ", 1, ").Param(isAccount ? firstLock : null).Append(", ").Param(now).Append(")");
        }
        sql.Append(""" ON CONFLICT ("Key") DO UPDATE SET """);
        if (accountKey is not null)
        {
            var n = """c."ConsecutiveFailures" + 1""";
            sql.Append(""" "ConsecutiveFailures" = CASE WHEN c."Key" = """).Param(accountKey).Append($""" THEN {n} ELSE c."ConsecutiveFailures" END, """);
            sql.Append(""" "LockedUntil" = CASE WHEN c."Key" = """).Param(accountKey).Append(" THEN ");
            LockFor(sql, n, policy!, now);
            sql.Append(""" ELSE c."LockedUntil" END, """);
        }
        var notAccount = accountKey is null ? "1 = 1" : $"""c."Key" <> {sql.Placeholder(accountKey)}""";
        var over = $"""c."WindowStart" <= {sql.Placeholder(since)}""";
        sql.Append($""" "WindowStart" = CASE WHEN {notAccount} AND {over} THEN """).Param(now).Append(""" ELSE c."WindowStart" END, """);
        sql.Append($""" "WindowCount" = CASE WHEN NOT ({notAccount}) THEN c."WindowCount" WHEN {over} THEN 1 ELSE c."WindowCount" + 1 END, """);
        sql.Append(""" "UpdatedAt" = """).Param(now);
        sql.Append(" WHERE ");
        var windowOpen = new StringBuilder($"""({over} OR c."WindowCount" < CASE c."Key" """);
        foreach (var w in windows)
        {
            windowOpen.Append($" WHEN {sql.Placeholder(w.Key)} THEN {sql.Placeholder(w.Budget)}");
        }
        windowOpen.Append(" ELSE 0 END)");
        if (accountKey is null)
        {
            sql.Append(windowOpen.ToString());
        }
        else
        {
            var unlocked = $"""(c."LockedUntil" IS NULL OR c."LockedUntil" <= {sql.Placeholder(now)})""";
            sql.Append($"""CASE WHEN c."Key" = {sql.Placeholder(accountKey)} THEN {unlocked} ELSE {(windows.Count == 0 ? "1 = 0" : windowOpen.ToString())} END""");
        }
        sql.Append(""" RETURNING "Key", "ConsecutiveFailures", "WindowStart", "WindowCount", "LockedUntil" """);
        return await db.Database.SqlQueryRaw<Counted>(sql.Text, sql.Args).ToListAsync(ct);
    }

    /// <summary>
    /// Gives back what a reservation counted: the account's failure (and the lock it set, while the
    /// count is still the one it made) and the window's event, if that window is still running.
    /// </summary>
    public Task ReleaseAsync(string? accountKey, int failures, IReadOnlyList<(string Key, DateTime WindowStart)> windows, DateTime now,
        CancellationToken ct) =>
        SettleAsync(accountKey, failures, reset: false, windows, now, ct);

    /// <summary>A right secret: the account's failures start again from zero, and the windows get their event back.</summary>
    public Task SucceededAsync(string? accountKey, IReadOnlyList<(string Key, DateTime WindowStart)> windows, DateTime now, CancellationToken ct) =>
        SettleAsync(accountKey, 0, reset: true, windows, now, ct);

    private async Task SettleAsync(string? accountKey, int failures, bool reset, IReadOnlyList<(string Key, DateTime WindowStart)> windows,
        DateTime now, CancellationToken ct)
    {
        if (accountKey is null && windows.Count == 0)
        {
            return;
        }
        var sql = new SqlBuilder().Append("UPDATE rate_limit_counters SET ");
        if (accountKey is not null)
        {
            var account = sql.Placeholder(accountKey);
            sql.Append($""" "ConsecutiveFailures" = CASE WHEN "Key" = {account} THEN {(reset ? "0" : """CASE WHEN "ConsecutiveFailures" > 0 THEN "ConsecutiveFailures" - 1 ELSE 0 END""")} ELSE "ConsecutiveFailures" END, """);
            // Note: a reservation that is given back takes its lock with it while the count is still the one it made.
            var mine = reset ? "1 = 1" : $""" "ConsecutiveFailures" = {sql.Placeholder(failures)}""";
            sql.Append($""" "LockedUntil" = CASE WHEN "Key" = {account} AND {mine} THEN NULL ELSE "LockedUntil" END, """);
        }
        if (windows.Count > 0)
        {
            // A window gets its event back only while it is the window that was spent.
            var spent = string.Join(" OR ", windows.Select(w => $"""("Key" = {sql.Placeholder(w.Key)} AND "WindowStart" = {sql.Placeholder(w.WindowStart)})"""));
            sql.Append($""" "WindowCount" = CASE WHEN "WindowCount" > 0 AND ({spent}) THEN "WindowCount" - 1 ELSE "WindowCount" END, """);
        }
        var keys = string.Join(", ", windows.Select(w => w.Key).Append(accountKey).OfType<string>().Order(StringComparer.Ordinal).Select(k => sql.Placeholder(k)));
        sql.Append(""" "UpdatedAt" = """).Param(now).Append($""" WHERE "Key" IN ({keys})""");
        if (db.Database.IsNpgsql())
        {
            // Note: the rows are locked in key order first, as ReserveAsync's upsert takes them: an
            // UPDATE alone locks them in scan order, and two logins of one address then deadlock.
            sql.Append($""" AND "Key" IN (SELECT "Key" FROM rate_limit_counters WHERE "Key" IN ({keys}) ORDER BY "Key" FOR UPDATE)""");
        }
        await db.Database.ExecuteSqlRawAsync(sql.Text, sql.Args, ct);
    }

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

    /// <summary>
    /// The lock <see cref="RateLimitOptions.DelayAfter"/> gives the count <paramref name="n"/>, as SQL:
    /// the policy has few distinct waits (the doubling reaches its cap within a few steps), each
    /// passed as a time computed here, so neither database has to do date arithmetic.
    /// </summary>
    private static void LockFor(SqlBuilder sql, string n, RateLimitOptions policy, DateTime now)
    {
        sql.Append($"CASE WHEN {n} >= ").Param(policy.LockAfterFailures).Append(" THEN ").Param(now.AddSeconds(policy.LockSeconds));
        sql.Append($" WHEN {n} < ").Param(policy.FreeFailures).Append(" THEN NULL");
        var failures = policy.FreeFailures;
        var cap = now + policy.DelayAfter(policy.LockAfterFailures - 1);
        for (; failures < policy.LockAfterFailures; failures++)
        {
            var until = now + policy.DelayAfter(failures);
            if (until >= cap)
            {
                break;
            }
            sql.Append($" WHEN {n} = ").Param(failures).Append(" THEN ").Param(until);
        }
        sql.Append(" ELSE ").Param(cap).Append(" END");
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

    /// <summary>Raw SQL with EF's <c>{0}</c> placeholders, so that every value is a parameter on both providers.</summary>
    private sealed class SqlBuilder
    {
        private readonly StringBuilder _text = new();
        private readonly List<object> _args = [];

        public string Text => _text.ToString();
        public object[] Args => [.. _args];

        public SqlBuilder Append(string text)
        {
            _text.Append(text);
            return this;
        }

        /// <summary>A value as a parameter (a null as the literal NULL).</summary>
        public SqlBuilder Param(object? value) => Append(Placeholder(value));

        public string Placeholder(object? value)
        {
            if (value is null)
            {
                return "NULL";
            }
            _args.Add(value);
            return "{" + (_args.Count - 1).ToString(CultureInfo.InvariantCulture) + "}";
        }
    }
}
