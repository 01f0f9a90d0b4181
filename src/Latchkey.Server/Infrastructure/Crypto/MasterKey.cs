using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Server.Infrastructure.Crypto;

/// <summary>
/// The platform's root secret, kept outside the database (LATCHKEY_KEYS_DIR/master.key or
/// LATCHKEY_MASTER_KEY). Every other server-side key is derived from it with HKDF, one purpose
/// per derived key, so the master key itself never encrypts anything.
/// </summary>
public sealed class MasterKey
{
    public const int Size = 32;
    private readonly byte[] _key;

    public MasterKey(byte[] key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"The master key must be {Size} bytes.", nameof(key));
        }
        _key = key;
    }

    /// <summary>A 256-bit key for one purpose, e.g. "wrap-v1" or "blind-index-v1".</summary>
    public byte[] Derive(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, Size, salt: [], info: Encoding.UTF8.GetBytes("latchkey:" + purpose));

    /// <summary>
    /// Loads the key from the environment or the keys folder, creating the file on a first start.
    /// Two nodes starting at once on a shared folder agree: the file is created exclusively and
    /// the loser reads the winner's key.
    /// </summary>
    public static MasterKey Load(string? base64FromEnvironment, string keysDirectory, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(base64FromEnvironment))
        {
            return new MasterKey(DecodeOrThrow(base64FromEnvironment, "LATCHKEY_MASTER_KEY"));
        }

        Directory.CreateDirectory(keysDirectory);
        var path = Path.Combine(keysDirectory, "master.key");
        if (!File.Exists(path))
        {
            try
            {
                var fresh = RandomNumberGenerator.GetBytes(Size);
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(fresh) + "\n"));
                logger.LogWarning("Created a new master key at {Path}. Back it up: without it no stored personal data can be read.", path);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another node created it first; fall through and read theirs.
            }
        }
        return new MasterKey(DecodeOrThrow(File.ReadAllText(path).Trim(), path));
    }

    private static byte[] DecodeOrThrow(string base64, string source)
    {
        try
        {
            var bytes = Convert.FromBase64String(base64);
            if (bytes.Length == Size)
            {
                return bytes;
            }
        }
        catch (FormatException)
        {
        }
        throw new InvalidOperationException($"The master key in {source} must be {Size} bytes, base64-encoded.");
    }
}
