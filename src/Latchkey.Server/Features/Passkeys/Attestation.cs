using System.Formats.Asn1;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// The attestation object (WebAuthn §6.5.4) and the two statement formats this server verifies:
/// <c>none</c> (§8.7) and <c>packed</c> (§8.2), self attestation or full attestation with an x5c
/// certificate. Trust in the certificate (a metadata service, root certificates) is not decided
/// here: full attestation is checked for consistency and its signature, nothing more.
/// </summary>
public sealed record AttestationObject(string Format, ReadOnlyMemory<byte> Statement, byte[] AuthData)
{
    public const string None = "none";
    public const string Packed = "packed";

    /// <summary>id-fido-gen-ce-aaguid: the AAGUID a packed attestation certificate may name.</summary>
    private const string AaguidExtensionOid = "1.3.6.1.4.1.45724.1.1.4";

    public static AttestationObject Parse(ReadOnlyMemory<byte> bytes) => MalformedInput.Guard("attestation object", () => ParseMap(bytes));

    private static AttestationObject ParseMap(ReadOnlyMemory<byte> bytes)
    {
        var reader = new CborReader(bytes, CborConformanceMode.Strict);
        reader.ReadStartMap();
        string? format = null;
        byte[]? authData = null;
        ReadOnlyMemory<byte>? statement = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            if (reader.PeekState() != CborReaderState.TextString)
            {
                throw Malformed("a key that is not text");
            }
            var key = reader.ReadTextString();
            if (!seen.Add(key))
            {
                throw Malformed($"'{key}' twice");
            }
            switch (key)
            {
                case "fmt":
                    format = reader.ReadTextString();
                    break;
                case "authData":
                    authData = reader.ReadByteString();
                    break;
                case "attStmt":
                    if (reader.PeekState() != CborReaderState.StartMap)
                    {
                        throw Malformed("an attStmt that is not a map");
                    }
                    statement = reader.ReadEncodedValue();
                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        }
        reader.ReadEndMap();
        if (reader.BytesRemaining != 0)
        {
            throw Malformed("bytes after the attestation object");
        }
        return new AttestationObject(
            format ?? throw Malformed("no fmt"),
            statement ?? throw Malformed("no attStmt"),
            authData ?? throw Malformed("no authData"));
    }

    /// <summary>Verifies the statement over authData ‖ SHA-256(clientDataJSON); throws the attestation check when it does not hold.</summary>
    public void Verify(AuthenticatorData authenticatorData, CoseKey credentialKey, byte[] clientDataHash, DateTime now) =>
        MalformedInput.Guard("attestation statement", () =>
        {
            VerifyStatement(authenticatorData, credentialKey, clientDataHash, now);
            return true;
        });

    private void VerifyStatement(AuthenticatorData authenticatorData, CoseKey credentialKey, byte[] clientDataHash, DateTime now)
    {
        switch (Format)
        {
            case None:
                var reader = new CborReader(Statement, CborConformanceMode.Strict);
                if (reader.ReadStartMap() is not 0)
                {
                    throw Refused("a 'none' attestation must have an empty statement");
                }
                break;
            case Packed:
                VerifyPacked(authenticatorData, credentialKey, [.. AuthData, .. clientDataHash], now);
                break;
            default:
                throw Refused($"the format '{Format}' is not one this server verifies (none, packed); ask for attestation 'none'");
        }
    }

    private void VerifyPacked(AuthenticatorData authenticatorData, CoseKey credentialKey, byte[] signedData, DateTime now)
    {
        long? alg = null;
        byte[]? sig = null;
        List<byte[]>? x5c = null;
        var reader = new CborReader(Statement, CborConformanceMode.Strict);
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            switch (reader.ReadTextString())
            {
                case "alg":
                    alg = reader.ReadInt64();
                    break;
                case "sig":
                    sig = reader.ReadByteString();
                    break;
                case "x5c":
                    x5c = [];
                    reader.ReadStartArray();
                    while (reader.PeekState() != CborReaderState.EndArray)
                    {
                        x5c.Add(reader.ReadByteString());
                    }
                    reader.ReadEndArray();
                    break;
                case "ecdaaKeyId":
                    throw Refused("ECDAA attestation is not supported");
                default:
                    reader.SkipValue();
                    break;
            }
        }
        reader.ReadEndMap();
        if (alg is null || sig is null)
        {
            throw Refused("a 'packed' statement needs alg and sig");
        }

        if (x5c is null)
        {
            // Self attestation (§8.2 step 4): signed by the credential key itself, with its algorithm.
            if (alg != credentialKey.Algorithm)
            {
                throw Refused($"self attestation with algorithm {alg} but a credential key of algorithm {credentialKey.Algorithm}");
            }
            if (!credentialKey.Verify(signedData, sig))
            {
                throw Refused("the self-attestation signature does not verify with the credential key");
            }
            return;
        }
        if (x5c.Count == 0)
        {
            throw Refused("an empty x5c");
        }
        using var certificate = LoadCertificate(x5c[0]);
        CheckCertificate(certificate, authenticatorData.Credential!.Aaguid, now);
        if (!VerifyWithCertificate(certificate, alg.Value, signedData, sig))
        {
            throw Refused("the attestation signature does not verify with the attestation certificate");
        }
    }

    private static X509Certificate2 LoadCertificate(byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            throw Refused("the attestation certificate cannot be read");
        }
    }

    /// <summary>The packed attestation certificate requirements (WebAuthn §8.2.1).</summary>
    private static void CheckCertificate(X509Certificate2 certificate, Guid aaguid, DateTime now)
    {
        if (certificate.Version != 3)
        {
            throw Refused("the attestation certificate is not X.509 version 3");
        }
        var subject = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(rdn => !rdn.HasMultipleElements)
            .GroupBy(rdn => rdn.GetSingleElementType().Value ?? "")
            .ToDictionary(g => g.Key, g => g.First().GetSingleElementValue() ?? "");
        string Part(string oid) => subject.GetValueOrDefault(oid, "");
        if (Part("2.5.4.6").Length != 2 || Part("2.5.4.10").Length == 0 || Part("2.5.4.3").Length == 0
            || Part("2.5.4.11") != "Authenticator Attestation")
        {
            throw Refused("the attestation certificate's subject needs C (two letters), O, OU=Authenticator Attestation and CN");
        }
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
        {
            throw Refused("the attestation certificate is a CA certificate");
        }
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            throw Refused("the attestation certificate is not valid at this time");
        }
        if (certificate.Extensions[AaguidExtensionOid] is { } extension)
        {
            if (extension.Critical)
            {
                throw Refused("the attestation certificate's AAGUID extension is marked critical");
            }
            byte[] named;
            try
            {
                named = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadOctetString();
            }
            catch (AsnContentException)
            {
                throw Refused("the attestation certificate's AAGUID extension cannot be read");
            }
            if (!named.AsSpan().SequenceEqual(aaguid.ToByteArray(bigEndian: true)))
            {
                throw Refused("the attestation certificate names another AAGUID than the authenticator data");
            }
        }
    }

    private static bool VerifyWithCertificate(X509Certificate2 certificate, long alg, byte[] data, byte[] signature)
    {
        var hash = alg switch
        {
            CoseAlgorithms.ES256 or CoseAlgorithms.RS256 => HashAlgorithmName.SHA256,
            CoseAlgorithms.ES384 or CoseAlgorithms.RS384 => HashAlgorithmName.SHA384,
            CoseAlgorithms.ES512 or CoseAlgorithms.RS512 => HashAlgorithmName.SHA512,
            _ => throw Refused($"the attestation algorithm {alg} is not supported (ES256/384/512, RS256/384/512)"),
        };
        try
        {
            if (alg is CoseAlgorithms.ES256 or CoseAlgorithms.ES384 or CoseAlgorithms.ES512)
            {
                using var ecdsa = certificate.GetECDsaPublicKey() ?? throw Refused("the attestation certificate has no EC key for an ES algorithm");
                return ecdsa.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
            }
            using var rsa = certificate.GetRSAPublicKey() ?? throw Refused("the attestation certificate has no RSA key for an RS algorithm");
            return rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static PasskeyCheckException Refused(string why) => new(PasskeyChecks.Attestation, $"The attestation does not hold: {why}.");

    private static PasskeyCheckException Malformed(string what) => new(PasskeyChecks.Malformed, $"The attestation object is malformed: {what}.");
}
