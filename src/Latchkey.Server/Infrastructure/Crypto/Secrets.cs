using System.Security.Cryptography;

namespace Latchkey.Server.Infrastructure.Crypto;

/// <summary>High-entropy opaque secrets (refresh tokens, setup tokens): random, base64url, stored as SHA-256.</summary>
public static class Secrets
{
    public static string NewToken(int bytes = 32) => Base64Url.Encode(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>
    /// A plain SHA-256 is enough for 256-bit random secrets: nothing to brute-force, and the
    /// lookup by hash needs a deterministic value.
    /// </summary>
    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    public static bool TryDecode(string token, int expectedBytes, out byte[] bytes)
    {
        bytes = [];
        if (token.Length != Base64Url.GetEncodedLength(expectedBytes))
        {
            return false;
        }
        try
        {
            bytes = Base64Url.Decode(token);
            return bytes.Length == expectedBytes;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>RFC 4648 §5 without padding.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);
    public static byte[] Decode(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);
    public static int GetEncodedLength(int bytes) => System.Buffers.Text.Base64Url.GetEncodedLength(bytes);
}
