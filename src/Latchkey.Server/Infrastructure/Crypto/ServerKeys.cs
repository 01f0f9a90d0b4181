using System.Net;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Server.Infrastructure.Http;

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

    /// <summary>
    /// Seals data that exists before its user does (a pending sign-up, an invitation, a queued
    /// message); such rows expire and are deleted, so they need no per-user key to be shredded.
    /// </summary>
    public byte[] Pending { get; } = master.Derive("pending-v1");

    /// <summary>Keys the HMAC under which one-time codes are stored: a stolen database cannot brute-force them.</summary>
    public byte[] Codes { get; } = master.Derive("codes-v1");

    /// <summary>Keys the HMAC that links audit records into a chain: the database alone cannot recompute it.</summary>
    public byte[] AuditChain { get; } = master.Derive("audit-chain-v1");

    public byte[] SealPending(string context, string value) => Sealed.Seal(Pending, Encoding.UTF8.GetBytes(value), context);

    public string OpenPending(string context, byte[] sealedValue) => Encoding.UTF8.GetString(Sealed.Open(Pending, sealedValue, context));

    /// <summary>The stored form of a one-time code, bound to the row it belongs to.</summary>
    public byte[] CodeHash(Guid owner, string code) => HMACSHA256.HashData(Codes, Encoding.UTF8.GetBytes($"{owner:N}\n{code}"));

    /// <summary>HMAC-SHA256 of a normalised value, scoped by app and kind, e.g. ("app1", "email", "a@b.c").</summary>
    public byte[] Blind(string appId, string kind, string normalisedValue) =>
        HMACSHA256.HashData(BlindIndex, Encoding.UTF8.GetBytes($"{appId}\n{kind}\n{normalisedValue}"));

    /// <summary>
    /// A client address as the audit trail and its log lines name it: <c>ip-</c> and 80 bits of
    /// <see cref="Blind"/> (the key family of the per-address rate-limit counters) over the address,
    /// per app. The same address reads alike within an app's trail and differently in another
    /// app's; without the master key nobody can tell which address it was, not even by trying
    /// every IPv4 address.
    /// </summary>
    public string AddressPseudonym(string appId, IPAddress address) =>
        "ip-" + Convert.ToHexStringLower(Blind(appId, "audit-address", IpRange.Normalise(address).ToString()).AsSpan(0, 10));
}
