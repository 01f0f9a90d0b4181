using System.ComponentModel.DataAnnotations;

namespace Latchkey.Server.Features.Tokens;

/// <summary>Signing-key rotation (MISSION T3), from <c>Latchkey:SigningKeys:*</c>.</summary>
public sealed class SigningKeyOptions
{
    public const string Section = "Latchkey:SigningKeys";

    /// <summary>
    /// How long the next key is in the JWKS before it signs. Note: at least the JWKS's cache time
    /// (5 minutes), so that resource servers holding a cached JWKS know the key before they see it.
    /// </summary>
    [Range(300, 7 * 86_400)]
    public int PublishDelaySeconds { get; set; } = 600;

    /// <summary>Each app's key is replaced this many days after the last one was published; 0 turns scheduled rotation off.</summary>
    [Range(0, 3650)]
    public int RotationDays { get; set; } = 90;

    /// <summary>How often each node looks for keys that are due.</summary>
    [Range(10, 86_400)]
    public int CheckIntervalSeconds { get; set; } = 3600;

    public TimeSpan PublishDelay => TimeSpan.FromSeconds(PublishDelaySeconds);
    public TimeSpan RotationPeriod => TimeSpan.FromDays(RotationDays);
    public TimeSpan CheckInterval => TimeSpan.FromSeconds(CheckIntervalSeconds);
}
