using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Latchkey.Tests.Features.Passkeys;

/// <summary>What a test changes in a response, to see it refused (or not) by both verifiers.</summary>
internal sealed record Tamper
{
    public string? Type { get; init; }
    public string? Origin { get; init; }
    public string? Challenge { get; init; }
    public string? RpId { get; init; }
    /// <summary>The authenticator data flags; default UP|UV (|AT for a registration).</summary>
    public byte? Flags { get; init; }
    /// <summary>none, packed-self or packed-x5c.</summary>
    public string Format { get; init; } = "none";
    public bool BreakSignature { get; init; }
    public string CertificateOu { get; init; } = "Authenticator Attestation";
    public Guid? CertificateAaguid { get; init; }
    /// <summary>Replaces the attestation statement (raw CBOR).</summary>
    public byte[]? Statement { get; init; }
    /// <summary>A registration whose id/rawId name another credential than the authenticator data.</summary>
    public bool OtherRawId { get; init; }
    /// <summary>The counter to sign with instead of the authenticator's next one.</summary>
    public uint? Counter { get; init; }
    public string? UserHandle { get; init; }
}

/// <summary>
/// A software WebAuthn authenticator for the tests: a credential key (ES256, RS256, EdDSA, or
/// ES384 which the server does not offer), attestation none / packed self / packed with a
/// self-made x5c certificate, and assertions. Its output is the JSON a browser's toJSON() gives.
/// </summary>
internal sealed class SoftAuthenticator
{
    public const byte UP = 0x01, UV = 0x04, BE = 0x08, BS = 0x10, AT = 0x40;

    private readonly ECDsa? _ec;
    private readonly RSA? _rsa;
    private readonly byte[]? _edPrivate;
    private readonly HashAlgorithmName _ecHash = HashAlgorithmName.SHA256;

    public SoftAuthenticator(string algorithm = "ES256", bool counts = true)
    {
        Algorithm = algorithm;
        Counts = counts;
        CredentialId = RandomNumberGenerator.GetBytes(32);
        Aaguid = Guid.NewGuid();
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        switch (algorithm)
        {
            case "ES256" or "ES384":
                _ec = ECDsa.Create(algorithm == "ES256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
                _ecHash = algorithm == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;
                var q = _ec.ExportParameters(false).Q;
                cose.WriteStartMap(5);
                cose.WriteInt32(1); cose.WriteInt32(2);
                cose.WriteInt32(3); cose.WriteInt32(algorithm == "ES256" ? -7 : -35);
                cose.WriteInt32(-1); cose.WriteInt32(algorithm == "ES256" ? 1 : 2);
                cose.WriteInt32(-2); cose.WriteByteString(q.X!);
                cose.WriteInt32(-3); cose.WriteByteString(q.Y!);
                break;
            case "RS256":
                _rsa = RSA.Create(2048);
                var p = _rsa.ExportParameters(false);
                cose.WriteStartMap(4);
                cose.WriteInt32(1); cose.WriteInt32(3);
                cose.WriteInt32(3); cose.WriteInt32(-257);
                cose.WriteInt32(-1); cose.WriteByteString(p.Modulus!);
                cose.WriteInt32(-2); cose.WriteByteString(p.Exponent!);
                break;
            case "EdDSA":
                var publicKey = new byte[Geralt.Ed25519.PublicKeySize];
                _edPrivate = new byte[Geralt.Ed25519.PrivateKeySize];
                Geralt.Ed25519.GenerateKeyPair(publicKey, _edPrivate);
                cose.WriteStartMap(4);
                cose.WriteInt32(1); cose.WriteInt32(1);
                cose.WriteInt32(3); cose.WriteInt32(-8);
                cose.WriteInt32(-1); cose.WriteInt32(6);
                cose.WriteInt32(-2); cose.WriteByteString(publicKey);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm));
        }
        cose.WriteEndMap();
        CoseKey = cose.Encode();
    }

    public string Algorithm { get; }
    public int CoseAlgorithm => Algorithm switch { "ES256" => -7, "ES384" => -35, "RS256" => -257, _ => -8 };
    /// <summary>Whether the counter moves (false: always 0, like many platform passkeys).</summary>
    public bool Counts { get; }
    public byte[] CredentialId { get; }
    public string Id => B64(CredentialId);
    public Guid Aaguid { get; }
    public byte[] CoseKey { get; }
    public uint Counter { get; private set; }

    /// <summary>A registration response for creation options (challenge) at an origin and RP id.</summary>
    public JsonObject Register(string challenge, string origin, string rpId, Tamper? tamper = null, DateTimeOffset? certificatesFrom = null)
    {
        tamper ??= new Tamper();
        var clientData = ClientData(tamper.Type ?? "webauthn.create", tamper.Challenge ?? challenge, tamper.Origin ?? origin);
        var attested = new byte[18 + CredentialId.Length + CoseKey.Length];
        Aaguid.ToByteArray(bigEndian: true).CopyTo(attested, 0);
        BinaryPrimitives.WriteUInt16BigEndian(attested.AsSpan(16), (ushort)CredentialId.Length);
        CredentialId.CopyTo(attested, 18);
        CoseKey.CopyTo(attested, 18 + CredentialId.Length);
        var authData = AuthData(tamper.RpId ?? rpId, tamper.Flags ?? (byte)(UP | UV | AT), tamper.Counter ?? 0, attested);
        var signed = Concat(authData, SHA256.HashData(clientData));

        var statement = tamper.Statement ?? tamper.Format switch
        {
            "none" => Cbor(w => { w.WriteStartMap(0); w.WriteEndMap(); }),
            "packed-self" => Packed(CoseAlgorithm, Broken(Sign(signed), tamper.BreakSignature), null),
            "packed-x5c" => PackedWithCertificate(signed, tamper, certificatesFrom ?? DateTimeOffset.UtcNow),
            _ => throw new ArgumentOutOfRangeException(nameof(tamper)),
        };
        var format = tamper.Format.StartsWith("packed", StringComparison.Ordinal) ? "packed" : "none";
        var attestationObject = Cbor(w =>
        {
            w.WriteStartMap(3);
            w.WriteTextString("fmt"); w.WriteTextString(format);
            w.WriteTextString("attStmt"); w.WriteEncodedValue(statement);
            w.WriteTextString("authData"); w.WriteByteString(authData);
            w.WriteEndMap();
        });
        var id = tamper.OtherRawId ? B64(RandomNumberGenerator.GetBytes(32)) : Id;
        return new JsonObject
        {
            ["id"] = id,
            ["rawId"] = id,
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = B64(clientData),
                ["attestationObject"] = B64(attestationObject),
                ["transports"] = new JsonArray("internal", "hybrid"),
            },
        };
    }

    /// <summary>An assertion for request options (challenge); the counter moves unless the tamper names one.</summary>
    public JsonObject Assert(string challenge, string origin, string rpId, string? userHandle, Tamper? tamper = null)
    {
        tamper ??= new Tamper();
        var counter = tamper.Counter ?? (Counts ? ++Counter : 0);
        var clientData = ClientData(tamper.Type ?? "webauthn.get", tamper.Challenge ?? challenge, tamper.Origin ?? origin);
        var authData = AuthData(tamper.RpId ?? rpId, tamper.Flags ?? (byte)(UP | UV), counter, null);
        var signature = Broken(Sign(Concat(authData, SHA256.HashData(clientData))), tamper.BreakSignature);
        var response = new JsonObject
        {
            ["clientDataJSON"] = B64(clientData),
            ["authenticatorData"] = B64(authData),
            ["signature"] = B64(signature),
        };
        if ((tamper.UserHandle ?? userHandle) is { } handle)
        {
            response["userHandle"] = handle;
        }
        return new JsonObject
        {
            ["id"] = Id,
            ["rawId"] = Id,
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = response,
        };
    }

    public byte[] Sign(byte[] data) =>
        _ec is not null ? _ec.SignData(data, _ecHash, DSASignatureFormat.Rfc3279DerSequence)
        : _rsa is not null ? _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        : EdSign(data);

    private byte[] EdSign(byte[] data)
    {
        var signature = new byte[Geralt.Ed25519.SignatureSize];
        Geralt.Ed25519.Sign(signature, data, _edPrivate);
        return signature;
    }

    private static byte[] PackedWithCertificate(byte[] signed, Tamper tamper, DateTimeOffset from)
    {
        using var attestationKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(
            new X500DistinguishedName($"C=US, O=Latchkey Tests, OU={tamper.CertificateOu}, CN=Soft Authenticator"),
            attestationKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        if (tamper.CertificateAaguid is { } aaguid)
        {
            var value = new AsnWriter(AsnEncodingRules.DER);
            value.WriteOctetString(aaguid.ToByteArray(bigEndian: true));
            request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.45724.1.1.4", value.Encode(), false));
        }
        // Note: valid both by the test server's clock (moved forward by tests) and by real time (node's).
        var notBefore = (from < DateTimeOffset.UtcNow ? from : DateTimeOffset.UtcNow).AddDays(-1);
        using var certificate = request.CreateSelfSigned(notBefore, DateTimeOffset.UtcNow.AddYears(10));
        var signature = attestationKey.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return Packed(-7, Broken(signature, tamper.BreakSignature), certificate.RawData);
    }

    private static byte[] Packed(int alg, byte[] signature, byte[]? certificate) => Cbor(w =>
    {
        w.WriteStartMap(certificate is null ? 2 : 3);
        w.WriteTextString("alg"); w.WriteInt32(alg);
        w.WriteTextString("sig"); w.WriteByteString(signature);
        if (certificate is not null)
        {
            w.WriteTextString("x5c");
            w.WriteStartArray(1);
            w.WriteByteString(certificate);
            w.WriteEndArray();
        }
        w.WriteEndMap();
    });

    public static byte[] AuthData(string rpId, byte flags, uint counter, byte[]? attested)
    {
        var data = new byte[37 + (attested?.Length ?? 0)];
        SHA256.HashData(Encoding.UTF8.GetBytes(rpId)).CopyTo(data, 0);
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), counter);
        attested?.CopyTo(data, 37);
        return data;
    }

    public static byte[] ClientData(string type, string challenge, string origin) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = origin, ["crossOrigin"] = false }.ToJsonString());

    public static byte[] Cbor(Action<CborWriter> write)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        write(writer);
        return writer.Encode();
    }

    public static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromB64(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

    private static byte[] Broken(byte[] signature, bool broken)
    {
        if (broken)
        {
            signature = (byte[])signature.Clone();
            signature[^5] ^= 0x01;
        }
        return signature;
    }

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];
}
