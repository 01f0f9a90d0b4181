using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// The ECDSA P-256 key (ES256) that signs audit checkpoints: one for all nodes, kept in the key
/// store wrapped by the master key (<see cref="SecretName"/>), never in the main database. Its
/// public half is published (<c>GET /v1/admin/audit/checkpoint-key</c>) so that checkpoints can be
/// checked outside Latchkey.
/// </summary>
public sealed class AuditSigningKey
{
    /// <summary>The key's name in the key store.</summary>
    public const string SecretName = "audit-signing-key";
    /// <summary>Where versions before the key store kept it, in the keys folder (imported on start).</summary>
    public const string LegacyFileName = "audit-signing-key.pem";
    public const string Algorithm = "ES256";

    private readonly ECDsa _key;

    private AuditSigningKey(ECDsa key)
    {
        _key = key;
        var parameters = key.ExportParameters(includePrivateParameters: false);
        X = B64.EncodeToString(parameters.Q.X);
        Y = B64.EncodeToString(parameters.Q.Y);
        // RFC 7638 thumbprint: members in lexicographic order, no whitespace.
        KeyId = B64.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{X}}","y":"{{Y}}"}""")));
    }

    /// <summary>The key's RFC 7638 JWK thumbprint.</summary>
    public string KeyId { get; }

    private string X { get; }
    private string Y { get; }

    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    public JsonObject PublicJwk => new()
    {
        ["kty"] = "EC",
        ["crv"] = "P-256",
        ["x"] = X,
        ["y"] = Y,
        ["kid"] = KeyId,
        ["alg"] = Algorithm,
        ["use"] = "sig",
    };

    /// <summary>An ES256 signature (IEEE P1363 r‖s, as JWS and WebCrypto use), base64url.</summary>
    public string Sign(string payload) =>
        B64.EncodeToString(_key.SignData(Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    public bool Verify(string payload, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }
        byte[] bytes;
        try
        {
            bytes = B64.DecodeFromChars(signature);
        }
        catch (FormatException)
        {
            return false;
        }
        return _key.VerifyData(Encoding.UTF8.GetBytes(payload), bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>A fresh P-256 private key as PKCS#8, to store in the key store.</summary>
    public static byte[] NewPkcs8()
    {
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return fresh.ExportPkcs8PrivateKey();
    }

    /// <summary>The key from its PKCS#8 form (as stored) or PEM (an old keys folder's file).</summary>
    public static AuditSigningKey FromPkcs8(byte[] pkcs8) => Checked(key => key.ImportPkcs8PrivateKey(pkcs8, out _));

    /// <inheritdoc cref="FromPkcs8"/>
    public static AuditSigningKey FromPem(string pem) => Checked(key => key.ImportFromPem(pem));

    public byte[] ExportPkcs8() => _key.ExportPkcs8PrivateKey();

    private static AuditSigningKey Checked(Action<ECDsa> import)
    {
        var key = ECDsa.Create();
        import(key);
        if (key.KeySize != 256)
        {
            throw new CryptographicException("The audit signing key must be an ECDSA P-256 private key.");
        }
        return new AuditSigningKey(key);
    }
}
