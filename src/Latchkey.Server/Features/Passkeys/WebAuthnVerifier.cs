using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>What a ceremony expects of the response: its challenge, where it may come from, and the user verification policy.</summary>
public sealed record PasskeyExpectation(string Challenge, IReadOnlyCollection<string> Origins, string RpId, bool RequireUserVerification);

public sealed record VerifiedRegistration(
    byte[] CredentialId,
    byte[] PublicKeyCose,
    int Algorithm,
    uint SignCount,
    Guid Aaguid,
    string Format,
    bool BackupEligible,
    bool UserVerified,
    IReadOnlyList<string> Transports);

public sealed record VerifiedAssertion(uint SignCount, bool UserVerified, bool BackedUp);

/// <summary>
/// The relying party's checks of a registration (W3C WebAuthn Level 2 §7.1) and an assertion
/// (§7.2), in the specification's order. It decides nothing about users or storage: the caller
/// finds the credential, compares the user handle and stores the counter. Any input, however
/// broken, ends in a result or a <see cref="PasskeyCheckException"/>.
/// </summary>
public static class WebAuthnVerifier
{
    /// <summary>The base64url fields are bounded well above what real authenticators send (x5c chains included).</summary>
    private const int MaxFieldChars = 64 * 1024;
    private static readonly string[] KnownTransports = ["ble", "hybrid", "internal", "nfc", "smart-card", "usb"];

    public static VerifiedRegistration VerifyRegistration(PasskeyCredentialJson? credential, PasskeyExpectation expected, DateTime now) => Guard(() =>
    {
        var (rawId, response) = Basics(credential);
        var clientDataJson = Decode(response.ClientDataJson, "response.clientDataJSON");
        CheckClientData(clientDataJson, "webauthn.create", expected);
        var attestation = AttestationObject.Parse(Decode(response.AttestationObject, "response.attestationObject"));
        var authData = AuthenticatorData.Parse(attestation.AuthData);
        CheckAuthenticatorData(authData, expected);
        if (!authData.HasAttestedCredential || authData.Credential is not { } attested)
        {
            throw new PasskeyCheckException(PasskeyChecks.Malformed, "The authenticator data of a registration must carry the new credential (AT flag).");
        }
        if (!attested.CredentialId.AsSpan().SequenceEqual(rawId))
        {
            throw new PasskeyCheckException(PasskeyChecks.CredentialId, "The credential id differs from the one in the authenticator data.");
        }
        var key = CoseKey.Parse(attested.PublicKeyCose);
        if (!CoseAlgorithms.Offered.Contains(key.Algorithm))
        {
            throw new PasskeyCheckException(PasskeyChecks.Algorithm, $"The credential's algorithm {key.Algorithm} was not offered.");
        }
        attestation.Verify(authData, key, SHA256.HashData(clientDataJson), now);
        var transports = (response.Transports ?? []).Where(KnownTransports.Contains).Distinct().Order(StringComparer.Ordinal).ToList();
        return new VerifiedRegistration(rawId, attested.PublicKeyCose, key.Algorithm, authData.SignCount, attested.Aaguid,
            attestation.Format, authData.BackupEligible, authData.UserVerified, transports);
    });

    /// <summary>The credential id an assertion names, to find the stored credential by.</summary>
    public static byte[] CredentialIdOf(PasskeyCredentialJson? credential) => Guard(() => Basics(credential).RawId);

    /// <summary>The user handle an assertion carries (discoverable credentials), or null.</summary>
    public static byte[]? UserHandleOf(PasskeyCredentialJson? credential) => Guard(() =>
        string.IsNullOrEmpty(credential?.Response?.UserHandle) ? null : Decode(credential.Response.UserHandle, "response.userHandle"));

    /// <summary>The challenge in the response's client data, to find the ceremony by.</summary>
    public static string ChallengeOf(PasskeyCredentialJson? credential) => Guard(() =>
    {
        var (_, response) = Basics(credential);
        using var clientData = ParseClientData(Decode(response.ClientDataJson, "response.clientDataJSON"));
        return Text(clientData.RootElement, "challenge");
    });

    public static VerifiedAssertion VerifyAssertion(PasskeyCredentialJson? credential, PasskeyExpectation expected, byte[] publicKeyCose, long storedSignCount) => Guard(() =>
    {
        var (_, response) = Basics(credential);
        var clientDataJson = Decode(response.ClientDataJson, "response.clientDataJSON");
        CheckClientData(clientDataJson, "webauthn.get", expected);
        var authDataBytes = Decode(response.AuthenticatorData, "response.authenticatorData");
        var authData = AuthenticatorData.Parse(authDataBytes);
        CheckAuthenticatorData(authData, expected);
        var signature = Decode(response.Signature, "response.signature");
        var key = CoseKey.Parse(publicKeyCose);
        if (!key.Verify([.. authDataBytes, .. SHA256.HashData(clientDataJson)], signature))
        {
            throw new PasskeyCheckException(PasskeyChecks.Signature, "The assertion signature does not verify with the registered key.");
        }
        // Note: checked after the signature, so a refusal here is a genuine authenticator whose
        // counter went backwards: a clone (§6.1.1), or an assertion replayed past its ceremony.
        if ((authData.SignCount > 0 || storedSignCount > 0) && authData.SignCount <= storedSignCount)
        {
            throw new PasskeyCheckException(PasskeyChecks.Counter,
                $"The signature counter did not increase ({authData.SignCount} after {storedSignCount}): the authenticator may be cloned.");
        }
        return new VerifiedAssertion(authData.SignCount, authData.UserVerified, authData.BackedUp);
    });

    private static (byte[] RawId, PasskeyResponseJson Response) Basics(PasskeyCredentialJson? credential)
    {
        if (credential?.Response is not { } response)
        {
            throw new PasskeyCheckException(PasskeyChecks.Malformed, "The credential needs id, rawId, type and response.");
        }
        if (credential.Type != "public-key")
        {
            throw new PasskeyCheckException(PasskeyChecks.Type, $"The credential type must be 'public-key', not '{credential.Type}'.");
        }
        if (string.IsNullOrEmpty(credential.Id) || credential.Id != credential.RawId)
        {
            throw new PasskeyCheckException(PasskeyChecks.CredentialId, "The credential's id and rawId must be the same base64url value.");
        }
        var rawId = Decode(credential.RawId, "rawId");
        if (rawId.Length is 0 or > AuthenticatorData.MaxCredentialIdLength)
        {
            throw new PasskeyCheckException(PasskeyChecks.CredentialId, $"A credential id has 1 to {AuthenticatorData.MaxCredentialIdLength} bytes.");
        }
        return (rawId, response);
    }

    private static void CheckClientData(byte[] clientDataJson, string type, PasskeyExpectation expected)
    {
        using var clientData = ParseClientData(clientDataJson);
        var root = clientData.RootElement;
        var actualType = Text(root, "type");
        if (actualType != type)
        {
            throw new PasskeyCheckException(PasskeyChecks.Type, $"The client data type is '{actualType}', not '{type}'.");
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Text(root, "challenge")), Encoding.UTF8.GetBytes(expected.Challenge)))
        {
            throw new PasskeyCheckException(PasskeyChecks.Challenge, "The client data carries another challenge than this ceremony's.");
        }
        var origin = Text(root, "origin");
        if (!expected.Origins.Contains(origin, StringComparer.Ordinal))
        {
            throw new PasskeyCheckException(PasskeyChecks.Origin, $"The origin '{Shorten(origin)}' is not one this server accepts.");
        }
        // Note: a ceremony inside another site's iframe is not one we asked for.
        if (root.TryGetProperty("crossOrigin", out var crossOrigin) && crossOrigin.ValueKind == JsonValueKind.True)
        {
            throw new PasskeyCheckException(PasskeyChecks.Origin, "The ceremony ran in a cross-origin frame.");
        }
    }

    private static void CheckAuthenticatorData(AuthenticatorData authData, PasskeyExpectation expected)
    {
        if (!CryptographicOperations.FixedTimeEquals(authData.RpIdHash, SHA256.HashData(Encoding.UTF8.GetBytes(expected.RpId))))
        {
            throw new PasskeyCheckException(PasskeyChecks.RpId, $"The authenticator data is for another relying party than '{expected.RpId}'.");
        }
        if (!authData.UserPresent)
        {
            throw new PasskeyCheckException(PasskeyChecks.UserPresence, "The authenticator did not test user presence (UP flag).");
        }
        if (expected.RequireUserVerification && !authData.UserVerified)
        {
            throw new PasskeyCheckException(PasskeyChecks.UserVerification, "This ceremony needs user verification (a PIN or biometric on the authenticator), and the UV flag is not set.");
        }
        authData.CheckBackupFlags();
    }

    private static JsonDocument ParseClientData(byte[] clientDataJson)
    {
        var document = JsonDocument.Parse(clientDataJson, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new PasskeyCheckException(PasskeyChecks.Malformed, "The client data is not a JSON object.");
        }
        return document;
    }

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new PasskeyCheckException(PasskeyChecks.Malformed, $"The client data has no text '{name}'.");

    private static byte[] Decode(string? base64Url, string field)
    {
        if (string.IsNullOrEmpty(base64Url) || base64Url.Length > MaxFieldChars)
        {
            throw new PasskeyCheckException(PasskeyChecks.Malformed, $"'{field}' must be base64url of at most {MaxFieldChars} characters.");
        }
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(base64Url.TrimEnd('='));
        }
        catch (FormatException)
        {
            throw new PasskeyCheckException(PasskeyChecks.Malformed, $"'{field}' is not base64url.");
        }
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";

    /// <summary>The final net: whatever the parsers did not name is the client's malformed input, never a server error.</summary>
    private static T Guard<T>(Func<T> verify) => MalformedInput.Guard("credential", verify);
}
