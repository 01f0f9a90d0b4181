using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// The link of an audit chain: <c>HMAC-SHA256(chainKey, "latchkey-audit-v1" ‖ PrevHash ‖ fields)</c>,
/// each field length-prefixed (strings as 4-byte big-endian length + UTF-8, optional values behind
/// a presence byte), so no two different records encode alike. The key is derived from the
/// master key: someone with only the database can neither forge a record nor recompute the chain
/// after editing one.
/// </summary>
public static class AuditHash
{
    public const int Size = 32;

    /// <summary>The PrevHash of an app's first record.</summary>
    public static readonly byte[] Genesis = new byte[Size];

    private static readonly byte[] Version = Encoding.ASCII.GetBytes("latchkey-audit-v1");

    public static byte[] Compute(byte[] chainKey, AuditRecord record, byte[] prevHash)
    {
        if (record.Seq is not { } seq)
        {
            throw new InvalidOperationException("Only a record with a sequence number can be hashed.");
        }
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, chainKey);
        AppendBytes(hmac, Version);
        AppendBytes(hmac, prevHash);
        AppendString(hmac, record.AppId);
        AppendLong(hmac, seq);
        AppendLong(hmac, Microseconds(record.At));
        AppendGuid(hmac, record.ActorUserId);
        AppendString(hmac, record.ActorAppId);
        AppendString(hmac, record.Action);
        AppendGuid(hmac, record.TargetUserId);
        AppendString(hmac, record.Detail);
        AppendString(hmac, record.Source);
        return hmac.GetHashAndReset();
    }

    /// <summary>
    /// The time as the databases keep it: PostgreSQL stores microseconds, so the hash covers no
    /// finer digits (and new records are stored already rounded down to them).
    /// </summary>
    public static DateTime TruncateToMicroseconds(DateTime at) => new(at.Ticks - at.Ticks % 10, DateTimeKind.Utc);

    private static long Microseconds(DateTime at) => at.Ticks / 10;

    private static void AppendBytes(IncrementalHash hmac, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hmac.AppendData(length);
        hmac.AppendData(bytes);
    }

    private static void AppendString(IncrementalHash hmac, string? value)
    {
        AppendPresence(hmac, value is not null);
        if (value is not null)
        {
            AppendBytes(hmac, Encoding.UTF8.GetBytes(value));
        }
    }

    private static void AppendGuid(IncrementalHash hmac, Guid? value)
    {
        AppendPresence(hmac, value is not null);
        if (value is { } guid)
        {
            Span<byte> bytes = stackalloc byte[16];
            guid.TryWriteBytes(bytes, bigEndian: true, out _);
            hmac.AppendData(bytes);
        }
    }

    private static void AppendLong(IncrementalHash hmac, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        hmac.AppendData(bytes);
    }

    private static void AppendPresence(IncrementalHash hmac, bool present) => hmac.AppendData([present ? (byte)1 : (byte)0]);
}
