using System.Runtime.CompilerServices;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// Links audit records into one hash chain per app as they are saved (MISSION P5). A save that
/// adds records runs in one transaction with the rest of its changes: lock the app's head, give
/// the records the next seqs, hash each onto the one before (<see cref="AuditHash"/>), move the
/// head, save, commit; then the new head is noted for a signed checkpoint in the key store
/// (<see cref="AuditCheckpoints"/>, written off the request path). Saves without audit records are not touched.
/// </summary>
public sealed class AuditChain(ServerKeys keys, ILogger<AuditChain> logger)
{
    private const int BackfillBatch = 500;

    /// <summary>Heads appended in a transaction that has not committed yet, per context.</summary>
    private static readonly ConditionalWeakTable<DbContext, List<PendingCheckpoint>> Pending = new();

    private sealed record PendingCheckpoint(Guid TransactionId, string AppId, long Seq, byte[] Hash);

    /// <summary>Whether the next save adds audit records (the cheap test every save makes).</summary>
    public static bool HasNewRecords(DbContext db) => db.ChangeTracker.Entries<AuditRecord>().Any(e => e.State == EntityState.Added);

    public byte[] HashOf(AuditRecord record, byte[] prevHash) => AuditHash.Compute(keys.AuditChain, record, prevHash);

    /// <summary>
    /// Saves <paramref name="db"/>'s changes with its new audit records linked. In the caller's
    /// transaction when there is one (the checkpoint is then written when it commits); otherwise
    /// in a transaction of its own, run through the context's execution strategy.
    /// </summary>
    internal async Task<int> SaveAsync(LatchkeyDbContext db, bool acceptAllChangesOnSuccess, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return await LinkAndSaveAsync(db, acceptAllChangesOnSuccess, ct);
        }
        var strategy = db.Database.CreateExecutionStrategy();
        var saved = await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var count = await LinkAndSaveAsync(db, acceptAllChangesOnSuccess: false, ct);
            await transaction.CommitAsync(ct);
            return count;
        });
        if (acceptAllChangesOnSuccess)
        {
            db.ChangeTracker.AcceptAllChanges();
        }
        return saved;
    }

    private async Task<int> LinkAndSaveAsync(LatchkeyDbContext db, bool acceptAllChangesOnSuccess, CancellationToken ct)
    {
        var added = db.ChangeTracker.Entries<AuditRecord>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        var heads = new List<PendingCheckpoint>();
        var transactionId = db.Database.CurrentTransaction!.TransactionId;
        // Note: heads are locked in one order (app id), so two saves that touch the same two apps
        // (app.create is recorded in the new app and in the console app) cannot deadlock.
        foreach (var app in added.GroupBy(r => r.AppId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var records = app.OrderBy(r => r.At).ToList();
            var (last, prev) = await AuditHeads.AdvanceAsync(db, app.Key, records.Count, ct);
            var seq = last - records.Count;
            foreach (var record in records)
            {
                record.At = AuditHash.TruncateToMicroseconds(record.At);
                record.Seq = ++seq;
                record.PrevHash = prev;
                record.Hash = HashOf(record, prev);
                prev = record.Hash;
            }
            await AuditHeads.SetAsync(db, app.Key, last, prev, ct);
            heads.Add(new PendingCheckpoint(transactionId, app.Key, last, prev));
        }
        var saved = await db.SaveLinkedChangesAsync(acceptAllChangesOnSuccess, ct);
        Pending.GetOrCreateValue(db).AddRange(heads);
        return saved;
    }

    /// <summary>Notes the heads of a transaction that just committed for their checkpoints (called by <see cref="AuditCommitInterceptor"/>).</summary>
    internal static void OnTransactionEnded(DbContext db, Guid transactionId, bool committed)
    {
        if (!Pending.TryGetValue(db, out var pending) || pending.Count == 0)
        {
            return;
        }
        // Note: entries of any other transaction are from one that was disposed without committing.
        var done = pending.Where(p => p.TransactionId == transactionId).ToList();
        pending.Clear();
        if (!committed || done.Count == 0)
        {
            return;
        }
        var checkpoints = db.GetService<AuditCheckpoints>();
        foreach (var head in done.GroupBy(p => p.AppId).Select(g => g.MaxBy(p => p.Seq)!))
        {
            checkpoints.Note(head.AppId, head.Seq, head.Hash);
        }
    }

    /// <summary>
    /// Links records saved before the chain existed (Seq null), per app in id order after the
    /// app's newest link; run at start. Safe on several nodes at once: each batch holds the head.
    /// </summary>
    public async Task<int> LinkUnchainedAsync(LatchkeyDbContext db, CancellationToken ct)
    {
        var apps = await db.AuditRecords.Where(r => r.Seq == null).Select(r => r.AppId).Distinct().ToListAsync(ct);
        var linked = 0;
        foreach (var appId in apps.Order(StringComparer.Ordinal))
        {
            int batch;
            do
            {
                batch = await LinkBatchAsync(db, appId, ct);
                linked += batch;
            }
            while (batch == BackfillBatch);
        }
        if (linked > 0)
        {
            logger.LogInformation("Linked {Count} audit records written before the chain into their apps' chains", linked);
        }
        return linked;
    }

    private async Task<int> LinkBatchAsync(LatchkeyDbContext db, string appId, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var (last, prev) = await AuditHeads.AdvanceAsync(db, appId, 0, ct);
            var records = await db.AuditRecords.Where(r => r.AppId == appId && r.Seq == null).OrderBy(r => r.Id).Take(BackfillBatch).ToListAsync(ct);
            foreach (var record in records)
            {
                record.Seq = ++last;
                record.PrevHash = prev;
                record.Hash = HashOf(record, prev);
                prev = record.Hash;
            }
            await db.SaveChangesAsync(ct);
            await AuditHeads.SetAsync(db, appId, last, prev, ct);
            Pending.GetOrCreateValue(db).Add(new PendingCheckpoint(transaction.TransactionId, appId, last, prev));
            await transaction.CommitAsync(ct);
            db.ChangeTracker.Clear();
            return records.Count;
        });
    }
}
