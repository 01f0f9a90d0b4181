using System.Text.Json.Serialization;
using Latchkey.Server.Features.Users;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// What every successful sign-in answers. Token fields keep their OAuth names (docs/api.md) so
/// that this and the OIDC token endpoint look alike.
/// </summary>
public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("refresh_token")] string RefreshToken,
    [property: JsonPropertyName("refresh_expires_in")] int RefreshExpiresIn,
    [property: JsonPropertyName("user")] UserView User)
{
    [JsonPropertyName("token_type")]
    public string TokenType => "Bearer";

    /// <summary>X1: the scopes granted to an OpenID Connect client's session (the provider's token endpoint answers them).</summary>
    [JsonIgnore]
    public string? Scope { get; init; }

    /// <summary>In an open app whose flow verifies emails, the verification that was started.</summary>
    [JsonPropertyName("verification")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public VerificationStarted? Verification { get; init; }

    /// <summary>
    /// S3: the app's MFA policy wants this user to have a second factor and they have none yet:
    /// the client should take them to enrolment (POST /me/mfa/totp). Absent otherwise.
    /// </summary>
    [JsonPropertyName("mfaEnrollmentRequired")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool MfaEnrollmentRequired { get; init; }

    [JsonPropertyName("statusText")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StatusText { get; init; }
}

/// <summary>A code or link was sent; complete it with /signup/verify, or wait on /signup/{id} for a link.</summary>
public sealed record VerificationStarted(Guid VerificationId, string Flow, int ExpiresIn);
