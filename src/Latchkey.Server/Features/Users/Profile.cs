using System.Text.Json.Nodes;

namespace Latchkey.Server.Features.Users;

/// <summary>The sealed profile document of a user (MISSION U2).</summary>
public sealed record Profile
{
    public string? DisplayName { get; init; }
    public string? Pronouns { get; init; }
    public JsonObject? Preferences { get; init; }
    /// <summary>The user's own metadata: sign-up metadata, and what PATCH /me writes.</summary>
    public JsonObject? Metadata { get; init; }
    /// <summary>
    /// What the app granted the user (coupons, tiers): written only by admins, the app's server
    /// (an app server key) and trusted invitations; the user reads it and cannot change it.
    /// </summary>
    public JsonObject? AppMetadata { get; init; }
}
