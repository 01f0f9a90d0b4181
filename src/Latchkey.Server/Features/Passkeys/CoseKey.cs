using System.Formats.Cbor;
using System.Security.Cryptography;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>COSE algorithm identifiers (IANA) this server offers for credentials.</summary>
public static class CoseAlgorithms
{
    public const int ES256 = -7;
    public const int EdDSA = -8;
    public const int ES384 = -35;
    public const int ES512 = -36;
    public const int RS256 = -257;
    public const int RS384 = -258;
    public const int RS512 = -259;

    /// <summary>Offered in pubKeyCredParams, in order of preference.</summary>
    public static readonly int[] Offered = [ES256, EdDSA, RS256];
}

/// <summary>
/// A credential public key as COSE_Key (RFC 9052 §7, RFC 9053): ES256 on P-256, EdDSA on Ed25519,
/// RS256. Parsing only decides what the key is; the signature checks are .NET's (ECDsa, RSA) and
/// libsodium's (Ed25519, through Geralt).
/// </summary>
public sealed class CoseKey
{
    private const int KtyOkp = 1, KtyEc2 = 2, KtyRsa = 3;
    private const int CrvP256 = 1, CrvEd25519 = 6;
    private const int LabelKty = 1, LabelAlg = 3, LabelCrvOrN = -1, LabelXOrE = -2, LabelY = -3;

    private readonly ECParameters? _ec;
    private readonly RSAParameters? _rsa;
    private readonly byte[]? _ed25519;

    private CoseKey(int algorithm, ECParameters? ec, RSAParameters? rsa, byte[]? ed25519)
    {
        Algorithm = algorithm;
        _ec = ec;
        _rsa = rsa;
        _ed25519 = ed25519;
    }

    public int Algorithm { get; }

    /// <summary>Reads exactly one COSE_Key map from <paramref name="cose"/>; anything else is malformed.</summary>
    public static CoseKey Parse(ReadOnlyMemory<byte> cose) => MalformedInput.Guard("credential public key", () => ParseMap(cose));

    private static CoseKey ParseMap(ReadOnlyMemory<byte> cose)
    {
        var reader = new CborReader(cose, CborConformanceMode.Strict);
        var fields = new Dictionary<long, object>();
        var count = reader.ReadStartMap();
        if (count is > 32)
        {
            throw Malformed("a COSE key with too many fields");
        }
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            if (reader.PeekState() is not (CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger))
            {
                // Text labels are private use (RFC 9052 §7.1): not ours to read.
                reader.SkipValue();
                reader.SkipValue();
                continue;
            }
            var label = reader.ReadInt64();
            object value = reader.PeekState() switch
            {
                CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => reader.ReadInt64(),
                CborReaderState.ByteString => reader.ReadByteString(),
                _ => SkipAndMark(reader),
            };
            if (!fields.TryAdd(label, value))
            {
                throw Malformed($"a COSE key with label {label} twice");
            }
        }
        reader.ReadEndMap();
        if (reader.BytesRemaining != 0)
        {
            throw Malformed("bytes after the COSE key");
        }

        var kty = Int(fields, LabelKty, "kty");
        var alg = Int(fields, LabelAlg, "alg");
        return (kty, alg) switch
        {
            (KtyEc2, CoseAlgorithms.ES256) => Ec2(fields),
            (KtyOkp, CoseAlgorithms.EdDSA) => Okp(fields),
            (KtyRsa, CoseAlgorithms.RS256) => Rsa(fields),
            _ => throw new PasskeyCheckException(PasskeyChecks.Algorithm,
                $"The credential's key type {kty} with algorithm {alg} is not one this server accepts (ES256, EdDSA, RS256)."),
        };
    }

    /// <summary>Verifies a WebAuthn signature (ES256 signatures are DER-encoded, WebAuthn §6.5.6).</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (_ec is { } ec)
            {
                using var ecdsa = ECDsa.Create(ec);
                return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            }
            if (_rsa is { } parameters)
            {
                using var rsa = RSA.Create(parameters);
                return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            }
            return signature.Length == Geralt.Ed25519.SignatureSize && Geralt.Ed25519.Verify(signature, data, _ed25519);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static CoseKey Ec2(Dictionary<long, object> fields)
    {
        if (Int(fields, LabelCrvOrN, "crv") != CrvP256)
        {
            throw new PasskeyCheckException(PasskeyChecks.Algorithm, "An ES256 key must be on the P-256 curve.");
        }
        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Bytes(fields, LabelXOrE, "x", 32), Y = Bytes(fields, LabelY, "y", 32) },
        };
        // Note: importing checks that the point lies on the curve; an invalid key never gets stored.
        try
        {
            using var check = ECDsa.Create(parameters);
        }
        catch (CryptographicException)
        {
            throw Malformed("an EC2 point that is not on P-256");
        }
        return new CoseKey(CoseAlgorithms.ES256, parameters, null, null);
    }

    private static CoseKey Okp(Dictionary<long, object> fields)
    {
        if (Int(fields, LabelCrvOrN, "crv") != CrvEd25519)
        {
            throw new PasskeyCheckException(PasskeyChecks.Algorithm, "An EdDSA key must be on Ed25519.");
        }
        return new CoseKey(CoseAlgorithms.EdDSA, null, null, Bytes(fields, LabelXOrE, "x", Geralt.Ed25519.PublicKeySize));
    }

    private static CoseKey Rsa(Dictionary<long, object> fields)
    {
        var modulus = Bytes(fields, LabelCrvOrN, "n", null);
        var exponent = Bytes(fields, LabelXOrE, "e", null);
        var bits = (modulus.Length - modulus.TakeWhile(b => b == 0).Count()) * 8;
        if (bits is < 2048 or > 8192 || exponent.Length is 0 or > 8)
        {
            throw new PasskeyCheckException(PasskeyChecks.Algorithm, "An RS256 key must have a 2048 to 8192-bit modulus.");
        }
        var parameters = new RSAParameters { Modulus = modulus, Exponent = exponent };
        try
        {
            using var check = RSA.Create(parameters);
        }
        catch (CryptographicException)
        {
            throw Malformed("an RSA key .NET cannot import");
        }
        return new CoseKey(CoseAlgorithms.RS256, null, parameters, null);
    }

    private static long Int(Dictionary<long, object> fields, long label, string name) =>
        fields.TryGetValue(label, out var value) && value is long number ? number : throw Malformed($"a COSE key without an integer '{name}'");

    private static byte[] Bytes(Dictionary<long, object> fields, long label, string name, int? length) =>
        fields.TryGetValue(label, out var value) && value is byte[] bytes && (length is null || bytes.Length == length)
            ? bytes
            : throw Malformed($"a COSE key whose '{name}' is not {(length is null ? "a byte string" : $"{length} bytes")}");

    private static object SkipAndMark(CborReader reader)
    {
        reader.SkipValue();
        return false;
    }

    private static PasskeyCheckException Malformed(string what) => new(PasskeyChecks.Malformed, $"The credential public key is malformed: {what}.");
}
