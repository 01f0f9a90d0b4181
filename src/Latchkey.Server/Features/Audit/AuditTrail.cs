using System.Net;
using System.Text.Json.Serialization;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// Filters of the trail: newest first, <see cref="Before"/> a seq for the next page,
/// <see cref="Address"/> the records whose source is that client address's pseudonym.
/// </summary>
public sealed record AuditQuery(int? Limit = null, long? Before = null, string? Action = null, Guid? TargetUserId = null, Guid? ActorUserId = null,
    IPAddress? Address = null)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
}

/// <summary>One record of the trail as the admin API and the console show it; <see cref="Source"/> is the client address's pseudonym.</summary>
public sealed record AuditEntry(long Id, long Seq, DateTime At, string Action, Guid? ActorUserId, string ActorAppId, Guid? TargetUserId,
    string? Detail, string? Source);

/// <summary>The head row: the newest link as the database says.</summary>
public sealed record AuditHeadView(long Seq, string? Hash);

/// <summary>The signed checkpoint in the key store, when there is one.</summary>
public sealed record AuditCheckpointView(long Seq, DateTime At, bool SignatureValid);

/// <summary>
/// The outcome of walking an app's chain. <see cref="BrokenAt"/> is the seq where it breaks;
/// <see cref="Reason"/> one of <see cref="AuditBreaks"/>.
/// </summary>
public sealed record AuditVerification(
    bool Valid,
    long Checked,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? BrokenAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? BrokenRecordId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    AuditHeadView Head,
    AuditCheckpointView? Checkpoint);

/// <summary>Why a chain does not verify.</summary>
public static class AuditBreaks
{
    /// <summary>A seq is missing: a deleted record (<c>brokenAt</c> is the missing seq).</summary>
    public const string Missing = "missing";
    /// <summary>A record's PrevHash is not the hash of the record before it.</summary>
    public const string Link = "link";
    /// <summary>A record's content does not give its hash: an edited record.</summary>
    public const string Hash = "hash";
    /// <summary>The head row or the checkpoint names records that are not there: the newest were cut off.</summary>
    public const string Truncated = "truncated";
    /// <summary>The head row's hash differs from the record at its seq.</summary>
    public const string Head = "head";
    /// <summary>The checkpoint's hash differs from the record at its seq: the chain was rewritten since.</summary>
    public const string Checkpoint = "checkpoint";
    /// <summary>The stored checkpoint is not signed by the audit signing key: it was edited.</summary>
    public const string CheckpointSignature = "checkpoint_signature";
    /// <summary>A record outside the chain (no seq) appeared after the chain was set up.</summary>
    public const string Unchained = "unchained";
}

/// <summary>Reads an app's audit trail and verifies its chain; used by the admin API and the console.</summary>
public sealed class AuditTrail(LatchkeyDbContext db, AuditChain chain, AuditCheckpoints checkpoints, ServerKeys keys)
{
    private const int Batch = 1000;

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(string appId, AuditQuery query, CancellationToken ct)
    {
        var records = db.AuditRecords.AsNoTracking().Where(r => r.AppId == appId && r.Seq != null);
        if (query.Before is { } before)
        {
            records = records.Where(r => r.Seq < before);
        }
        if (!string.IsNullOrEmpty(query.Action))
        {
            records = records.Where(r => r.Action == query.Action);
        }
        if (query.TargetUserId is { } target)
        {
            records = records.Where(r => r.TargetUserId == target);
        }
        if (query.ActorUserId is { } actor)
        {
            records = records.Where(r => r.ActorUserId == actor);
        }
        if (query.Address is { } address)
        {
            var source = keys.AddressPseudonym(appId, address);
            records = records.Where(r => r.Source == source);
        }
        var limit = Math.Clamp(query.Limit ?? AuditQuery.DefaultLimit, 1, AuditQuery.MaxLimit);
        return await records.OrderByDescending(r => r.Seq).Take(limit)
            .Select(r => new AuditEntry(r.Id, r.Seq!.Value, r.At, r.Action, r.ActorUserId, r.ActorAppId, r.TargetUserId, r.Detail, r.Source))
            .ToListAsync(ct);
    }

    /// <summary>
    /// Walks the chain in seq order, in batches: seq continuity, each PrevHash link, each hash
    /// (recomputed under the chain key); then the head row and the signed checkpoint in the key
    /// store, which catch the newest records cut off together with a head rolled back to match.
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(string appId, CancellationToken ct)
    {
        // Note: this node's own commits are checkpointed first, so its answer is as strong as
        // it can be; other nodes' are in the key store within moments of their commits.
        await checkpoints.FlushAsync(appId, ct);
        // Note: checkpoint and head are read before the walk: every record they name was committed
        // before it starts, so appends during the walk cannot look like a cut.
        var checkpoint = await checkpoints.ReadAsync(appId, ct);
        var head = await db.AuditHeads.AsNoTracking().FirstOrDefaultAsync(h => h.AppId == appId, ct);
        var headView = new AuditHeadView(head?.Seq ?? 0, head is null ? null : Convert.ToHexStringLower(head.Hash));
        var checkpointView = checkpoint is null ? null : new AuditCheckpointView(checkpoint.Seq, checkpoint.At, checkpoint.SignatureValid);

        AuditVerification Broken(long @checked, string reason, long? at, long? recordId = null) =>
            new(false, @checked, at, recordId, reason, headView, checkpointView);

        long last = 0;
        var prev = AuditHash.Genesis;
        byte[]? hashAtHead = null, hashAtCheckpoint = null;
        while (true)
        {
            var from = last;
            var records = await db.AuditRecords.AsNoTracking()
                .Where(r => r.AppId == appId && r.Seq > from)
                .OrderBy(r => r.Seq).Take(Batch).ToListAsync(ct);
            foreach (var record in records)
            {
                var seq = record.Seq!.Value;
                if (seq != last + 1)
                {
                    return Broken(last, AuditBreaks.Missing, last + 1);
                }
                if (record.PrevHash is null || !record.PrevHash.AsSpan().SequenceEqual(prev))
                {
                    return Broken(last, AuditBreaks.Link, seq, record.Id);
                }
                if (record.Hash is null || !record.Hash.AsSpan().SequenceEqual(chain.HashOf(record, record.PrevHash)))
                {
                    return Broken(last, AuditBreaks.Hash, seq, record.Id);
                }
                last = seq;
                prev = record.Hash;
                if (seq == head?.Seq)
                {
                    hashAtHead = record.Hash;
                }
                if (seq == checkpoint?.Seq)
                {
                    hashAtCheckpoint = record.Hash;
                }
            }
            if (records.Count < Batch)
            {
                break;
            }
        }

        if (head is null && last > 0)
        {
            return Broken(last, AuditBreaks.Head, null);
        }
        if (head is not null && head.Seq > last)
        {
            return Broken(last, AuditBreaks.Truncated, last + 1);
        }
        if (head is { Seq: > 0 } && !head.Hash.AsSpan().SequenceEqual(hashAtHead))
        {
            return Broken(last, AuditBreaks.Head, head.Seq);
        }
        if (checkpoint is not null)
        {
            if (!checkpoint.SignatureValid)
            {
                return Broken(last, AuditBreaks.CheckpointSignature, null);
            }
            if (checkpoint.Seq > last)
            {
                return Broken(last, AuditBreaks.Truncated, last + 1);
            }
            if (checkpoint.Seq > 0 && !checkpoint.Hash.AsSpan().SequenceEqual(hashAtCheckpoint))
            {
                return Broken(last, AuditBreaks.Checkpoint, checkpoint.Seq);
            }
        }
        var unchained = await db.AuditRecords.AsNoTracking()
            .Where(r => r.AppId == appId && r.Seq == null).OrderBy(r => r.Id).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct);
        if (unchained is { } recordId)
        {
            return Broken(last, AuditBreaks.Unchained, null, recordId);
        }
        return new AuditVerification(true, last, null, null, null, headView, checkpointView);
    }
}
