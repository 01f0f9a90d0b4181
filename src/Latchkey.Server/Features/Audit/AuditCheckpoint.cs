namespace Latchkey.Server.Features.Audit;

/// <summary>
/// An app's audit chain head as signed by the shared audit signing key: one row per app in the
/// key store (<c>audit_checkpoints</c>), never in the main database, so that someone who cuts the
/// newest records and rolls the head row back to match cannot roll this back too. The fields hold
/// exactly what the signature covers (<see cref="AuditCheckpoints.PayloadFormat"/>).
/// </summary>
public sealed class AuditCheckpoint
{
    public required string AppId { get; set; }
    public long Seq { get; set; }
    public required byte[] Hash { get; set; }
    /// <summary>When it was signed, as the signed text has it (ISO 8601, UTC, 7 fraction digits).</summary>
    public required string At { get; set; }
    /// <summary>The signing key's RFC 7638 thumbprint.</summary>
    public required string KeyId { get; set; }
    /// <summary>ES256 over the payload, IEEE P1363 r‖s, base64url.</summary>
    public required string Signature { get; set; }
}

/// <summary>A stored checkpoint with its signature checked.</summary>
public sealed record CheckedCheckpoint(string AppId, long Seq, byte[] Hash, DateTime At, bool SignatureValid);

/// <summary>The periodic checkpoint job, from <c>Latchkey:Audit:*</c>.</summary>
public sealed class AuditOptions
{
    public const string Section = "Latchkey:Audit";

    /// <summary>
    /// How often the node holding the job's lease checkpoints every head that is ahead of its
    /// checkpoint (the safety net behind each node's own writes after its commits).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 86_400)]
    public int CheckpointIntervalSeconds { get; set; } = 60;

    public TimeSpan CheckpointInterval => TimeSpan.FromSeconds(CheckpointIntervalSeconds);
}
