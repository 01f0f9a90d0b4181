using System.Text.Json.Nodes;
using Latchkey.Server.Features.Sessions;

namespace Latchkey.Server.Features.Challenges;

/// <summary>
/// What completing a challenge needs, sealed in <see cref="Challenge.PayloadSealed"/>: the handle
/// it went to and, for a sign-up or an upgrade, what the new user starts with.
/// </summary>
public sealed record ChallengePayload
{
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? Username { get; init; }
    public string? PasswordHash { get; init; }
    public JsonObject? Metadata { get; init; }
    public Device? Device { get; init; }
    /// <summary>A WebAuthn challenge (base64url) and what it was for, for passkey ceremonies.</summary>
    public string? WebAuthnChallenge { get; init; }
    /// <summary>S3: the second factors a pending sign-in (an mfaToken) may be completed with.</summary>
    public IReadOnlyList<string>? MfaMethods { get; init; }
}
