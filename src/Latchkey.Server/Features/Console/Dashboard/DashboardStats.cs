using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AdminConsole.Dashboard;

/// <summary>One UTC day of the chart: successful and failed sign-ins.</summary>
public sealed record DayCount(DateOnly Day, int SignIns, int Failures);

/// <summary>What a dashboard shows, for one app or for the whole platform.</summary>
public sealed record DashboardFigures(int Users, int ActiveSessions, IReadOnlyList<DayCount> Days, IReadOnlyList<AuditRecord> SecurityEvents)
{
    public int SignIns => Days.Sum(d => d.SignIns);
    public int Failures => Days.Sum(d => d.Failures);
}

/// <summary>
/// The dashboards' figures, each one aggregate query over an index: users by (app id, …), live
/// sessions by their expiry, sign-ins and security events by the audit trail's (app id, at)
/// index, bounded to the last <see cref="Days"/> days. Nothing loads rows to count them; the
/// sign-in paths write nothing more for it.
/// </summary>
public sealed class DashboardStats(LatchkeyDbContext db, TimeProvider clock)
{
    public const int Days = 14;
    public const int SecurityEventCount = 10;

    /// <summary>The actions the dashboards list as security events.</summary>
    public static readonly string[] SecurityActions =
    [
        AuditActions.SignInFailed, AuditActions.UserSessionsRevoke, "user.session.revoke", "user.erase", "user.roles",
        AuditActions.AppUpdate, AuditActions.AppCreate, AuditActions.AppDelete, AuditActions.ServerKeyCreate, AuditActions.ServerKeyRevoke,
        "keys.rotate", "keys.revoke", "role.save", "role.delete",
    ];

    /// <summary>The figures of <paramref name="appIds"/> together (one app, or every app for the platform).</summary>
    public async Task<DashboardFigures> ForAsync(IReadOnlyList<string> appIds, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var since = today.AddDays(1 - Days).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var ids = appIds.ToList();

        // Note: the dashboards span apps on purpose (the platform's); the caller checked the admin may see each app.
        var users = await db.Users.IgnoreQueryFilters().Where(u => ids.Contains(u.AppId)).CountAsync(ct);
        var sessions = await db.Sessions.IgnoreQueryFilters()
            .Where(s => s.ExpiresAt > now && s.RevokedAt == null && ids.Contains(s.AppId)).CountAsync(ct);
        var perDay = await db.AuditRecords
            .Where(r => ids.Contains(r.AppId) && r.At >= since && (r.Action == AuditActions.SignIn || r.Action == AuditActions.SignInFailed))
            .GroupBy(r => new { r.At.Date, r.Action })
            .Select(g => new { g.Key.Date, g.Key.Action, Count = g.Count() })
            .ToListAsync(ct);
        var days = Enumerable.Range(0, Days).Select(i => today.AddDays(i + 1 - Days)).Select(day => new DayCount(day,
                perDay.Where(c => DateOnly.FromDateTime(c.Date) == day && c.Action == AuditActions.SignIn).Sum(c => c.Count),
                perDay.Where(c => DateOnly.FromDateTime(c.Date) == day && c.Action == AuditActions.SignInFailed).Sum(c => c.Count)))
            .ToList();
        var events = await db.AuditRecords.AsNoTracking()
            .Where(r => ids.Contains(r.AppId) && r.At >= since && (r.Action.StartsWith("security.") || SecurityActions.Contains(r.Action)))
            .OrderByDescending(r => r.At).ThenByDescending(r => r.Id)
            .Take(SecurityEventCount)
            .ToListAsync(ct);
        return new DashboardFigures(users, sessions, days, events);
    }

    /// <summary>Each app's number of users, for the apps list: one grouped count over the users' (app id, …) index.</summary>
    public async Task<Dictionary<string, int>> UserCountsAsync(CancellationToken ct) =>
        await db.Users.IgnoreQueryFilters().GroupBy(u => u.AppId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, ct);
}
