using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// The ECDSA P-256 key (ES256) that signs audit checkpoints. It lives in the keys folder next to
/// the master key (<c>audit-signing-key.pem</c>, PKCS#8, mode 0600), never in the database, and
/// its public half is published (<c>GET /v1/admin/audit/checkpoint-key</c>) so that checkpoints
/// can be checked outside Latchkey.
/// </summary>
public sealed class AuditSigningKey
{
    public const string FileName = "audit-signing-key.pem";
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

    /// <summary>
    /// Reads the key from the keys folder, creating it on first use. The new file is written under
    /// a temporary name (mode 0600 from the start) and moved in place without overwriting, so
    /// nodes and processes starting at once on one folder end up with the same key.
    /// </summary>
    public static AuditSigningKey LoadOrCreate(string keysDirectory, ILogger logger)
    {
        Directory.CreateDirectory(keysDirectory);
        var path = Path.Combine(keysDirectory, FileName);
        if (!File.Exists(path))
        {
            var temporary = Path.Combine(keysDirectory, $".{FileName}.{Guid.NewGuid():N}.tmp");
            using (var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using (var stream = new FileStream(temporary, options))
                {
                    stream.Write(Encoding.ASCII.GetBytes(fresh.ExportPkcs8PrivateKeyPem() + "\n"));
                    stream.Flush(flushToDisk: true);
                }
            }
            try
            {
                File.Move(temporary, path, overwrite: false);
                logger.LogWarning("Created the audit checkpoint signing key at {Path}. Back it up with the master key.", path);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
                File.Delete(temporary);
            }
        }
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(path));
        if (key.KeySize != 256)
        {
            throw new InvalidOperationException($"{path} must hold an ECDSA P-256 private key.");
        }
        return new AuditSigningKey(key);
    }
}
