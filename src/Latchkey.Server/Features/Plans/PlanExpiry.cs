using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Plans;

/// <summary>What one run of <see cref="PlanExpiry"/> changed on this node.</summary>
public sealed record PlanRun(int TrialsEnded, int PaidLapsed, int Reminded, int RemindersSkipped);

/// <summary>
/// Ends plans and reminds before they end (MISSION U4): a trial past its end becomes free; so does
/// a paid plan past its end (the subscription was not renewed, and the app expects the free tier);
/// a paid user gets one renewal reminder <see cref="AppSettings.PlanReminderDays"/> days (per app)
/// before the end, and a new end arms a new reminder.
/// </summary>
/// <remarks>
/// A run works from the users' state, not from the time of the last run, so after any downtime
/// the next run handles the whole backlog, batch after batch. Each change is decided by a
/// conditional update in its own transaction, together with its audit record and message: when
/// several nodes run at once, each change is made, audited and mailed exactly once.
/// </remarks>
public sealed class PlanExpiry(
    LatchkeyDbContext db,
    IServiceScopeFactory scopes,
    IOptions<PlanOptions> options,
    TimeProvider clock,
    ILogger<PlanExpiry> logger)
{
    public const string TrialEnded = "plan.expired";
    public const string PaidLapsed = "plan.lapsed";
    public const string Reminder = "plan.reminder";
    public const string ReminderSkipped = "plan.reminder.skipped";

    private Dictionary<string, App> _apps = [];
    private readonly HashSet<Guid> _failed = [];

    private sealed record Due(Guid Id, string AppId, string Plan, DateTime ExpiresAt);

    /// <summary>The services of one user's change, from a scope of its own (as a request would have).</summary>
    private sealed record Work(LatchkeyDbContext Db, AuditLog Audit, MessageQueue Messages, UserKeyring Keyring);

    private enum Outcome { Lost, Done, Skipped }

    /// <summary>
    /// Ends every plan whose end has passed and sends every reminder that is due, as of now, however
    /// many there are. Safe to run on several nodes at once (the hosted <see cref="PlanJob"/> runs it
    /// on the node holding the lease).
    /// </summary>
    public async Task<PlanRun> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        _apps = await db.Apps.AsNoTracking().ToDictionaryAsync(a => a.Id, ct);
        _failed.Clear();
        var (trials, paid) = await EndAllAsync(now, ct);
        var (reminded, skipped) = await RemindAllAsync(now, ct);
        var run = new PlanRun(trials, paid, reminded, skipped);
        if (run != new PlanRun(0, 0, 0, 0))
        {
            logger.LogInformation("Plans: {Trials} trial(s) ended, {Paid} paid plan(s) lapsed, {Reminded} reminder(s) sent, {Skipped} skipped",
                trials, paid, reminded, skipped);
        }
        return run;
    }

    private async Task<(int Trials, int Paid)> EndAllAsync(DateTime now, CancellationToken ct)
    {
        var (trials, paid) = (0, 0);
        while (true)
        {
            // Every row read here leaves the set: this node ends it, another node did, or it failed and is skipped.
            var failed = _failed.ToList();
            var batch = await db.Users.AsNoTracking().IgnoreQueryFilters()
                .Where(u => (u.Plan == Users.Plans.Trial || u.Plan == Users.Plans.Paid) && u.PlanExpiresAt != null && u.PlanExpiresAt <= now)
                .Where(u => !failed.Contains(u.Id))
                .OrderBy(u => u.Id)
                .Select(u => new Due(u.Id, u.AppId, u.Plan, u.PlanExpiresAt!.Value))
                .Take(options.Value.BatchSize)
                .ToListAsync(ct);
            if (batch.Count == 0)
            {
                return (trials, paid);
            }
            foreach (var due in batch)
            {
                if (await OneAsync(due, (work, ct) => EndOneAsync(work, due, now, ct), ct) == Outcome.Done)
                {
                    trials += due.Plan == Users.Plans.Trial ? 1 : 0;
                    paid += due.Plan == Users.Plans.Paid ? 1 : 0;
                }
            }
        }
    }

    private async Task<Outcome> EndOneAsync(Work work, Due due, DateTime now, CancellationToken ct)
    {
        var ended = await work.Db.Users
            .Where(u => u.Id == due.Id && u.Plan == due.Plan && u.PlanExpiresAt != null && u.PlanExpiresAt <= now)
            .ExecuteUpdateAsync(u => u
                .SetProperty(x => x.Plan, Users.Plans.Free)
                .SetProperty(x => x.PlanExpiresAt, (DateTime?)null)
                .SetProperty(x => x.UpdatedAt, now), ct);
        if (ended == 0)
        {
            return Outcome.Lost;
        }
        var trial = due.Plan == Users.Plans.Trial;
        work.Audit.RecordSystem(due.AppId, trial ? TrialEnded : PaidLapsed, due.Id, due.Plan);
        // A paid user was reminded before; a trial user learns here that the trial is over.
        if (trial && await AppAsync(due.AppId, ct) is { } app && await EmailOfAsync(work, due.Id, ct) is { } email)
        {
            await work.Messages.QueueAsync(app, new OutgoingMessage(Channels.Email, email, MessageKinds.TrialEnded), ct);
        }
        return Outcome.Done;
    }

    private async Task<(int Reminded, int Skipped)> RemindAllAsync(DateTime now, CancellationToken ct)
    {
        var (reminded, skipped) = (0, 0);
        // Apps that remind the same number of days before the end share one query.
        foreach (var group in _apps.Values.Where(a => a.Settings.PlanReminderDays > 0).GroupBy(a => a.Settings.PlanReminderDays).ToList())
        {
            var appIds = group.Select(a => a.Id).ToList();
            var horizon = now.AddDays(group.Key);
            while (true)
            {
                var failed = _failed.ToList();
                var batch = await db.Users.AsNoTracking().IgnoreQueryFilters()
                    .Where(u => u.Plan == Users.Plans.Paid && u.PlanExpiresAt != null && u.PlanExpiresAt > now && u.PlanExpiresAt <= horizon)
                    .Where(u => u.PlanReminderSentFor == null || u.PlanReminderSentFor != u.PlanExpiresAt)
                    .Where(u => appIds.Contains(u.AppId) && !failed.Contains(u.Id))
                    .OrderBy(u => u.Id)
                    .Select(u => new Due(u.Id, u.AppId, u.Plan, u.PlanExpiresAt!.Value))
                    .Take(options.Value.BatchSize)
                    .ToListAsync(ct);
                if (batch.Count == 0)
                {
                    break;
                }
                foreach (var due in batch)
                {
                    var outcome = await OneAsync(due, (work, ct) => RemindOneAsync(work, due, ct), ct);
                    reminded += outcome == Outcome.Done ? 1 : 0;
                    skipped += outcome == Outcome.Skipped ? 1 : 0;
                }
            }
        }
        return (reminded, skipped);
    }

    /// <summary>Claims the reminder of this end and sends it; skipped (and audited) for users without email and disabled users.</summary>
    private async Task<Outcome> RemindOneAsync(Work work, Due due, CancellationToken ct)
    {
        var claimed = await work.Db.Users
            .Where(u => u.Id == due.Id && u.Plan == Users.Plans.Paid && u.PlanExpiresAt == due.ExpiresAt)
            .Where(u => u.PlanReminderSentFor == null || u.PlanReminderSentFor != u.PlanExpiresAt)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.PlanReminderSentFor, due.ExpiresAt), ct);
        if (claimed == 0)
        {
            return Outcome.Lost;
        }
        var expiresAt = DateTime.SpecifyKind(due.ExpiresAt, DateTimeKind.Utc);
        var disabled = await work.Db.Users.AsNoTracking().Where(u => u.Id == due.Id).Select(u => u.Disabled).FirstAsync(ct);
        if (disabled || await AppAsync(due.AppId, ct) is not { } app || await EmailOfAsync(work, due.Id, ct) is not { } email)
        {
            work.Audit.RecordSystem(due.AppId, ReminderSkipped, due.Id, disabled ? "disabled" : "no_email");
            return Outcome.Skipped;
        }
        await work.Messages.QueueAsync(app, new OutgoingMessage(Channels.Email, email, MessageKinds.PlanReminder, ExpiresAt: expiresAt), ct);
        work.Audit.RecordSystem(due.AppId, Reminder, due.Id, "ends " + expiresAt.ToString("O"));
        return Outcome.Done;
    }

    /// <summary>
    /// One user's change in its own transaction: the conditional update, its audit record and its
    /// message commit together or not at all. A user whose change fails is skipped for the rest
    /// of the run (and tried again on the next), so one bad row cannot stop the others.
    /// </summary>
    private async Task<Outcome> OneAsync(Due due, Func<Work, CancellationToken, Task<Outcome>> change, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var work = new Work(services.GetRequiredService<LatchkeyDbContext>(), services.GetRequiredService<AuditLog>(),
                services.GetRequiredService<MessageQueue>(), services.GetRequiredService<UserKeyring>());
            // The user's change is work of the user's app, scoped to it as a request would be.
            work.Db.TenantAppId = due.AppId;
            await using var transaction = await work.Db.Database.BeginTransactionAsync(ct);
            var outcome = await change(work, ct);
            if (outcome == Outcome.Lost)
            {
                return outcome;
            }
            await work.Db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return outcome;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Plans: could not handle user {UserId} of app {AppId}; trying again next run", due.Id, due.AppId);
            _failed.Add(due.Id);
            return Outcome.Lost;
        }
    }

    /// <summary>The app of a user; one created after the run began is read then.</summary>
    private async Task<App?> AppAsync(string appId, CancellationToken ct)
    {
        if (!_apps.TryGetValue(appId, out var app) && await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct) is { } found)
        {
            _apps[appId] = app = found;
        }
        return app;
    }

    private static async Task<string?> EmailOfAsync(Work work, Guid userId, CancellationToken ct)
    {
        var sealedEmail = await work.Db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.EmailSealed).FirstOrDefaultAsync(ct);
        if (sealedEmail is null)
        {
            return null;
        }
        var key = await work.Keyring.FindAsync(userId, ct);
        return key?.Decrypt(UserFields.Email, sealedEmail);
    }
}
