using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Plans;

/// <summary>
/// An admin sets a user's plan and its end (the user PATCH's <c>plan</c> and <c>planExpiresAt</c>).
/// <list type="bullet">
/// <item><c>planExpiresAt</c> given: the plan ends then (to the second; it must be in the future);
/// <c>null</c> means no end, which only a paid plan may have.</item>
/// <item><c>planExpiresAt</c> left out: the plan the user has now keeps its end; a new trial ends
/// after the app's <c>trialDays</c>; a new paid plan has no end; free never ends.</item>
/// <item><c>planExpiresAt</c> alone changes the end of the plan the user has now (refused on free).</item>
/// </list>
/// A new end arms a new renewal reminder (<see cref="PlanExpiry"/>). Needs <c>admin:roles</c>
/// ("assign roles and plans") besides the route's <c>admin:users.write</c>.
/// </summary>
public static class PlanChanges
{
    /// <summary>Applies the change to the tracked <paramref name="user"/>; answers the names of the fields that changed.</summary>
    public static IReadOnlyList<string> Apply(
        AdminCaller admin, LatchkeyDbContext db, App app, User user, string? plan, bool endGiven, DateTimeOffset? end, DateTime now)
    {
        admin.EnsureCan(AdminPermissions.RolesManage);
        if (plan is not null and not (Users.Plans.Free or Users.Plans.Trial or Users.Plans.Paid))
        {
            throw Problems.InvalidField("plan", "plan must be free, trial or paid.");
        }
        DateTime? newEnd = end is { } given ? ToTheSecond(given.UtcDateTime) : null;
        if (newEnd <= now)
        {
            throw Problems.InvalidField("planExpiresAt", "planExpiresAt must be in the future.");
        }

        var current = PlanRules.Effective(user, now);
        var target = plan ?? current;
        if (target == Users.Plans.Free && endGiven && (plan is null || newEnd is not null))
        {
            throw Problems.InvalidField("planExpiresAt", plan is null
                ? "The user's plan is free, which does not end; give plan (trial or paid) with planExpiresAt."
                : "A free plan does not end; leave planExpiresAt out.");
        }
        if (target == Users.Plans.Trial && endGiven && newEnd is null)
        {
            throw Problems.InvalidField("planExpiresAt", "A trial must end: give a date, or leave planExpiresAt out for the app's trialDays.");
        }

        DateTime? expiry = target switch
        {
            Users.Plans.Free => null,
            _ when endGiven => newEnd,
            _ when target == current => PlanRules.EffectiveExpiry(user, now),
            Users.Plans.Trial => ToTheSecond(now.AddDays(app.Settings.TrialDays)),
            _ => null,
        };

        var changed = new List<string>();
        if (plan is not null)
        {
            changed.Add("plan");
        }
        if (endGiven || expiry != user.PlanExpiresAt)
        {
            changed.Add("planExpiresAt");
        }
        user.Plan = target;
        user.PlanExpiresAt = expiry;
        // Note: both columns are written even when one looks unchanged, so that a concurrent
        // downgrade by the expiry job cannot leave a free plan with this end (or a trial without one).
        var entry = db.Entry(user);
        entry.Property(u => u.Plan).IsModified = true;
        entry.Property(u => u.PlanExpiresAt).IsModified = true;
        return changed;
    }

    private static DateTime ToTheSecond(DateTime utc) =>
        new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
