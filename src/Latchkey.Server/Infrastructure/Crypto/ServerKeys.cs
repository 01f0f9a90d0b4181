using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Server.Infrastructure.Crypto;

/// <summary>The purpose keys derived from the master key, computed once at start.</summary>
public sealed class ServerKeys(MasterKey master)
{
    /// <summary>Wraps per-user data keys and signing keys.</summary>
    public byte[] Wrapping { get; } = master.Derive("wrap-v1");

    /// <summary>Keys the blind index used to look users up by email without storing it.</summary>
    public byte[] BlindIndex { get; } = master.Derive("blind-index-v1");

    /// <summary>Derives a refresh token's successor from the token itself (retries get the same one).</summary>
    public byte[] RefreshDerivation { get; } = master.Derive("refresh-derivation-v1");

    /// <summary>A value stored in the database to detect a start with the wrong master key.</summary>
    public byte[] Fingerprint { get; } = master.Derive("fingerprint-v1");

    /// <summary>HMAC-SHA256 of a normalised value, scoped by app and kind, e.g. ("app1", "email", "a@b.c").</summary>
    public byte[] Blind(string appId, string kind, string normalisedValue) =>
        HMACSHA256.HashData(BlindIndex, Encoding.UTF8.GetBytes($"{appId}\n{kind}\n{normalisedValue}"));
}
