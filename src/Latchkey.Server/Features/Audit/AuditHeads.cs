using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// The per-app chain head row (<c>audit_heads</c>), taken with a write so that it stays locked
/// until the transaction ends: on PostgreSQL the upsert row-locks it, on SQLite the transaction
/// holds the database's write lock from its first statement. Appenders of one app thus queue, and
/// each gets the seqs after the previous one's, without gaps.
/// </summary>
internal static class AuditHeads
{
    /// <summary>The head's row as the upsert answers it.</summary>
    internal sealed class HeadRow
    {
        public long Seq { get; set; }
        public byte[] Hash { get; set; } = [];
    }

    /// <summary>
    /// Creates the app's head when missing and moves its seq on by <paramref name="count"/> (0 only
    /// locks it); answers the new seq and the hash of the record before the new ones.
    /// </summary>
    public static async Task<(long Seq, byte[] PrevHash)> AdvanceAsync(LatchkeyDbContext db, string appId, long count, CancellationToken ct)
    {
        var genesis = AuditHash.Genesis;
        var rows = db.Database.IsNpgsql()
            ? await db.Database.SqlQuery<HeadRow>($"""
                INSERT INTO audit_heads ("AppId", "Seq", "Hash") VALUES ({appId}, {count}, {genesis})
                ON CONFLICT ("AppId") DO UPDATE SET "Seq" = audit_heads."Seq" + {count}
                RETURNING "Seq", "Hash"
                """).ToListAsync(ct)
            : await db.Database.SqlQuery<HeadRow>($"""
                INSERT INTO audit_heads ("AppId", "Seq", "Hash") VALUES ({appId}, {count}, {genesis})
                ON CONFLICT ("AppId") DO UPDATE SET "Seq" = "Seq" + {count}
                RETURNING "Seq", "Hash"
                """).ToListAsync(ct);
        var head = rows.Single();
        return (head.Seq, head.Hash);
    }

    /// <summary>Sets the head to the newest record, in the transaction that locked it.</summary>
    public static Task SetAsync(LatchkeyDbContext db, string appId, long seq, byte[] hash, CancellationToken ct) =>
        db.AuditHeads.Where(h => h.AppId == appId).ExecuteUpdateAsync(h => h.SetProperty(x => x.Seq, seq).SetProperty(x => x.Hash, hash), ct);
}
