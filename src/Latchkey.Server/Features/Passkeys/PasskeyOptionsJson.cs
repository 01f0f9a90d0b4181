using System.Text.Json.Serialization;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// PublicKeyCredentialCreationOptionsJSON (WebAuthn L3 §5.4) plus the <c>ceremonyId</c> to send back
/// with the credential; browsers' <c>PublicKeyCredential.parseCreationOptionsFromJSON</c> takes it as is.
/// </summary>
public sealed record PasskeyCreationOptions(
    Guid CeremonyId,
    string Challenge,
    PasskeyRp Rp,
    PasskeyUser User,
    IReadOnlyList<PasskeyAlgorithm> PubKeyCredParams,
    int Timeout,
    IReadOnlyList<PasskeyDescriptor> ExcludeCredentials,
    PasskeyAuthenticatorSelection AuthenticatorSelection,
    string Attestation);

/// <summary>PublicKeyCredentialRequestOptionsJSON (WebAuthn L3 §5.5) plus the <c>ceremonyId</c>.</summary>
public sealed record PasskeyRequestOptions(
    Guid CeremonyId,
    string Challenge,
    string RpId,
    int Timeout,
    IReadOnlyList<PasskeyDescriptor> AllowCredentials,
    string UserVerification);

public sealed record PasskeyRp(string Id, string Name);

/// <summary>The user entity: <c>id</c> is an opaque handle (the user id's 16 bytes), never the email.</summary>
public sealed record PasskeyUser(string Id, string Name, string DisplayName);

public sealed record PasskeyAlgorithm(int Alg)
{
    public string Type => "public-key";
}

public sealed record PasskeyDescriptor(
    string Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Transports)
{
    public string Type => "public-key";
}

public sealed record PasskeyAuthenticatorSelection(string ResidentKey, bool RequireResidentKey, string UserVerification);

/// <summary>A registered passkey as its owner sees it.</summary>
public sealed record PasskeyView(
    Guid Id,
    string? Name,
    string CredentialId,
    Guid Aaguid,
    string AttestationFormat,
    IReadOnlyList<string> Transports,
    bool BackupEligible,
    long SignCount,
    DateTime CreatedAt,
    DateTime? LastUsedAt)
{
    public static PasskeyView Of(PasskeyCredential credential) => new(
        credential.Id, credential.Name, Infrastructure.Crypto.Base64Url.Encode(credential.CredentialId), credential.Aaguid,
        credential.AttestationFormat, PasskeyService.Transports(credential), credential.BackupEligible, credential.SignCount,
        credential.CreatedAt, credential.LastUsedAt);
}
