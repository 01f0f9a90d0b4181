using System.Collections.Concurrent;
using System.Diagnostics;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Apps;

/// <summary>
/// Apps by id as app-scoped requests bind them (<see cref="CurrentApp"/>): each node reads an app
/// again once its copy is <see cref="Freshness"/> old, and at once after this node changed or
/// deleted it. Unknown ids are never kept, so a flood of made-up ids cannot grow it.
/// </summary>
/// <remarks>
/// Note: an app's settings (access mode, IP ranges, flows) therefore reach the other nodes within
/// <see cref="Freshness"/> of a change. Nothing per user or per request is kept here: sessions,
/// revocations and counters are read from the database on every request. The copies are shared
/// by concurrent requests and must not be changed; <see cref="AppService"/> writes tracked rows of its own.
/// </remarks>
public sealed class AppCache
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);

    private sealed record Entry(App App, long ReadAt);

    private readonly ConcurrentDictionary<string, Entry> _apps = new(StringComparer.Ordinal);

    public async ValueTask<App?> FindAsync(string appId, LatchkeyDbContext db, CancellationToken ct)
    {
        if (_apps.TryGetValue(appId, out var entry) && Stopwatch.GetElapsedTime(entry.ReadAt) < Freshness)
        {
            return entry.App;
        }
        var readAt = Stopwatch.GetTimestamp();
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct);
        if (app is null)
        {
            _apps.TryRemove(appId, out _);
            return null;
        }
        _ = app.Settings; // parsed once, before other requests share it
        _apps[appId] = new Entry(app, readAt);
        return app;
    }

    /// <summary>This node changed or deleted the app: the next request reads it again.</summary>
    public void Forget(string appId) => _apps.TryRemove(appId, out _);
}
