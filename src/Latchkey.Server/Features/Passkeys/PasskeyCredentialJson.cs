using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// A credential as the browser's <c>PublicKeyCredential.toJSON()</c> gives it (WebAuthn L3
/// RegistrationResponseJSON / AuthenticationResponseJSON): binary fields in base64url. Every field
/// is optional here so that a missing one is answered by the WebAuthn check, with its name.
/// </summary>
public sealed record PasskeyCredentialJson
{
    public string? Id { get; init; }
    public string? RawId { get; init; }
    public string? Type { get; init; }
    public PasskeyResponseJson? Response { get; init; }
    public string? AuthenticatorAttachment { get; init; }
    public JsonObject? ClientExtensionResults { get; init; }
}

public sealed record PasskeyResponseJson
{
    [JsonPropertyName("clientDataJSON")]
    public string? ClientDataJson { get; init; }
    /// <summary>Registration: the CBOR attestation object.</summary>
    public string? AttestationObject { get; init; }
    public IReadOnlyList<string>? Transports { get; init; }
    /// <summary>Assertion: the authenticator data, the signature and the user handle.</summary>
    public string? AuthenticatorData { get; init; }
    public string? Signature { get; init; }
    public string? UserHandle { get; init; }
}
