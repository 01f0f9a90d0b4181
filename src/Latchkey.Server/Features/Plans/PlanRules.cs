using Latchkey.Server.Features.Users;

namespace Latchkey.Server.Features.Plans;

/// <summary>
/// The plan a user has now (MISSION U4). A trial or paid plan past its end counts as free at once,
/// even before <see cref="PlanExpiry"/> has written the change: tokens, views and introspection
/// never show a plan that has ended.
/// </summary>
public static class PlanRules
{
    public static string Effective(User user, DateTime now) => Effective(user.Plan, user.PlanExpiresAt, now);

    public static string Effective(string plan, DateTime? expiresAt, DateTime now) =>
        plan != Users.Plans.Free && expiresAt is { } end && end <= now ? Users.Plans.Free : plan;

    /// <summary>When the effective plan ends (UTC); null for free and for a paid plan without end.</summary>
    public static DateTime? EffectiveExpiry(User user, DateTime now) => EffectiveExpiry(user.Plan, user.PlanExpiresAt, now);

    public static DateTime? EffectiveExpiry(string plan, DateTime? expiresAt, DateTime now) =>
        Effective(plan, expiresAt, now) != Users.Plans.Free && expiresAt is { } end
            // Note: SQLite gives dates back without a kind; JSON must still say they are UTC.
            ? DateTime.SpecifyKind(end, DateTimeKind.Utc)
            : null;

    /// <summary>The token response's user with the plan as it is now.</summary>
    public static UserView Show(UserView view, User user, DateTime now) =>
        view with { Plan = Effective(user, now), PlanExpiresAt = EffectiveExpiry(user, now) };

    public static long UnixSeconds(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();
}
