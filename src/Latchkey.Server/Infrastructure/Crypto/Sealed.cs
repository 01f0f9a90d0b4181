using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Server.Infrastructure.Crypto;

/// <summary>
/// AES-256-GCM with a random nonce. Layout: version (1 byte) | nonce (12) | tag (16) | ciphertext.
/// The associated data binds a ciphertext to where it belongs (user, field), so a value copied
/// into another row or column does not decrypt.
/// </summary>
public static class Sealed
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + NonceSize + TagSize;

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[HeaderSize + plaintext.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(HeaderSize), output.AsSpan(1 + NonceSize, TagSize), Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    public static byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedValue, string associatedData)
    {
        if (sealedValue.Length < HeaderSize || sealedValue[0] != Version)
        {
            throw new CryptographicException("The sealed value has an unknown format.");
        }
        var plaintext = new byte[sealedValue.Length - HeaderSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedValue.Slice(1, NonceSize), sealedValue[HeaderSize..], sealedValue.Slice(1 + NonceSize, TagSize), plaintext,
            Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }
}
