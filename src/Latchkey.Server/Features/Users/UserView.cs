namespace Latchkey.Server.Features.Users;

/// <summary>
/// The user as token responses show it (docs/api.md "Tokens"). Token responses show the plan
/// the user has now (<see cref="Features.Plans.PlanRules.Show"/>) and when it ends.
/// </summary>
public sealed record UserView(
    Guid Id,
    string Handle,
    string? Email,
    string? Phone,
    string? Username,
    bool Anonymous,
    string Role,
    string Plan,
    DateTime? PlanExpiresAt);
