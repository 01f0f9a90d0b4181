using System.Text.Json.Nodes;

namespace Latchkey.Server.Features.Users;

/// <summary>The sealed profile document of a user (MISSION U2).</summary>
public sealed record Profile
{
    public string? DisplayName { get; init; }
    public string? Pronouns { get; init; }
    public JsonObject? Preferences { get; init; }
    public JsonObject? Metadata { get; init; }
}
