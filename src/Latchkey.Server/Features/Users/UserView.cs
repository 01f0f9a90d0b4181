using System.Text.Json.Nodes;

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
    DateTime? PlanExpiresAt)
{
    /// <summary>The user's own metadata (PATCH /me writes it).</summary>
    public JsonObject Metadata { get; init; } = [];

    /// <summary>What the app granted (admins, app server keys, trusted invitations); read-only for the user.</summary>
    public JsonObject AppMetadata { get; init; } = [];
}
