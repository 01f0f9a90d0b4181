using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Server.Infrastructure.Crypto;

/// <summary>
/// The platform's root secret and the only one kept outside the databases
/// (LATCHKEY_MASTER_KEY, or LATCHKEY_KEYS_DIR/master.key). Every other server-side key is derived
/// from it with HKDF, one purpose per derived key, or stored in the key store wrapped by such a
/// key; the master key itself never encrypts anything.
/// </summary>
public sealed class MasterKey
{
    public const int Size = 32;
    public const string FileName = "master.key";
    public const string EnvironmentName = "LATCHKEY_MASTER_KEY";

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
    /// The key from the environment when set, else from the keys folder, where a first start
    /// creates it. The file appears only whole: it is written and flushed under a temporary name,
    /// then linked in place without replacing (<see cref="ExclusiveFile"/>), so of nodes starting
    /// at once on a shared folder exactly one key wins and every node reads that one.
    /// </summary>
    public static MasterKey Load(string? fromEnvironment, string keysDirectory, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new MasterKey(Parse(fromEnvironment, EnvironmentName));
        }

        Directory.CreateDirectory(keysDirectory);
        var path = Path.Combine(keysDirectory, FileName);
        if (!File.Exists(path))
        {
            var fresh = Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(Size)) + "\n");
            if (ExclusiveFile.TryCreate(path, fresh))
            {
                logger.LogWarning("Created a new master key at {Path}. Back it up with the databases: without it no stored personal data can be read.", path);
            }
        }
        return new MasterKey(Parse(File.ReadAllText(path), path));
    }

    /// <summary>Whether <paramref name="text"/> is a master key as <see cref="Parse"/> reads it (for start-up validation).</summary>
    public static bool IsValid(string text) => TryDecode(text, out _);

    public static string FormatError(string source) =>
        $"The master key in {source} must be {Size} random bytes written as base64 (44 characters) or hex (64 characters), " +
        "e.g. the output of `openssl rand -base64 32`.";

    /// <summary>Base64 (standard or URL-safe) or hex; the message never repeats the value.</summary>
    private static byte[] Parse(string text, string source) =>
        TryDecode(text, out var key) ? key : throw new InvalidOperationException(FormatError(source));

    private static bool TryDecode(string text, out byte[] key)
    {
        var trimmed = text.Trim();
        key = [];
        if (trimmed.Length == Size * 2 && trimmed.All(char.IsAsciiHexDigit))
        {
            key = Convert.FromHexString(trimmed);
            return true;
        }
        var standard = trimmed.Replace('-', '+').Replace('_', '/');
        if (standard.Length % 4 != 0)
        {
            standard = standard.PadRight(standard.Length + 4 - standard.Length % 4, '=');
        }
        var buffer = new byte[standard.Length];
        if (Convert.TryFromBase64String(standard, buffer, out var written) && written == Size)
        {
            key = buffer[..written];
            return true;
        }
        return false;
    }
}
