using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Server.Features.Apps;

/// <summary>
/// An app's settings: one flat object (shared/API.md). A setting appears here once the feature
/// behind it works; <see cref="AppSettingsPatch"/> refuses names it does not know.
/// </summary>
public sealed record AppSettings
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Only <c>open</c> works until verification flows exist (the next issue).</summary>
    public string AccessMode { get; init; } = "open";
    public bool SignupEnabled { get; init; } = true;
    /// <summary>Only <c>none</c> works until verification flows exist.</summary>
    public string SignupFlow { get; init; } = "none";
    public IReadOnlyList<string> Methods { get; init; } = ["password"];
    public int AccessTokenLifetimeSeconds { get; init; } = 900;
    public int RefreshTokenLifetimeSeconds { get; init; } = 2_592_000;
    public int RefreshReuseIntervalSeconds { get; init; } = 10;

    [JsonIgnore] public TimeSpan AccessTokenLifetime => TimeSpan.FromSeconds(AccessTokenLifetimeSeconds);
    [JsonIgnore] public TimeSpan RefreshTokenLifetime => TimeSpan.FromSeconds(RefreshTokenLifetimeSeconds);
    [JsonIgnore] public TimeSpan RefreshReuseInterval => TimeSpan.FromSeconds(RefreshReuseIntervalSeconds);
}
