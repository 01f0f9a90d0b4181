using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// A WebAuthn response that does not hold. <see cref="Check"/> names the rule that failed, in words
/// that stay stable: clients, tests and the audit trail read it.
/// </summary>
public sealed class PasskeyCheckException(string check, string detail) : Exception(detail)
{
    public string Check { get; } = check;

    public ProblemException ToProblem() => Problems.PasskeyInvalid(Check, Message);
}

/// <summary>The rules a passkey response is checked against (W3C WebAuthn Level 2 §7.1, §7.2).</summary>
public static class PasskeyChecks
{
    /// <summary>Not the JSON, base64url, CBOR or COSE the rules expect (truncated, wrong types, too long…).</summary>
    public const string Malformed = "malformed";
    public const string Ceremony = "ceremony";
    public const string Type = "type";
    public const string Challenge = "challenge";
    public const string Origin = "origin";
    public const string RpId = "rp_id";
    public const string UserPresence = "user_presence";
    public const string UserVerification = "user_verification";
    public const string Flags = "flags";
    public const string Algorithm = "algorithm";
    public const string Attestation = "attestation";
    public const string CredentialId = "credential_id";
    public const string CredentialTaken = "credential_taken";
    public const string UnknownCredential = "unknown_credential";
    public const string UserHandle = "user_handle";
    public const string Signature = "signature";
    /// <summary>The signature counter did not increase: a cloned authenticator, or a replay.</summary>
    public const string Counter = "counter";
}

/// <summary>
/// Runs a parser of client-sent bytes: the CBOR, JSON and key readers' own exceptions for broken
/// input (a truncated item, a wrong type read, a bad encoding) become the malformed check.
/// </summary>
internal static class MalformedInput
{
    public static T Guard<T>(string what, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (IsParserFailure(e))
        {
            throw new PasskeyCheckException(PasskeyChecks.Malformed, $"The {what} is malformed: {Describe(e)}.");
        }
    }

    public static bool IsParserFailure(Exception e) =>
        e is System.Formats.Cbor.CborContentException or InvalidOperationException or FormatException or System.Text.Json.JsonException
            or OverflowException or ArgumentException or System.Security.Cryptography.CryptographicException
            or System.Text.DecoderFallbackException or System.Formats.Asn1.AsnContentException;

    private static string Describe(Exception e) => e switch
    {
        System.Formats.Cbor.CborContentException or InvalidOperationException => "its CBOR is truncated or has the wrong types",
        System.Text.Json.JsonException => "it is not valid JSON",
        _ => "a field cannot be decoded",
    };
}
