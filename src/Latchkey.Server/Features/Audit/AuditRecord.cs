using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// One entry of an app's audit trail (MISSION P5): an admin's read or change of a user's
/// personal data, a settings change, a sign-in event. Each app's entries form a hash chain
/// (<see cref="Seq"/>, <see cref="PrevHash"/>, <see cref="Hash"/>), so an edited or deleted
/// entry breaks it; the head is also signed and checkpointed outside the database.
/// </summary>
public sealed class AuditRecord
{
    public long Id { get; set; }
    public required string AppId { get; set; }
    /// <summary>The acting user (a super admin of the console app, an admin of this app, or the user themselves).</summary>
    public Guid? ActorUserId { get; set; }
    /// <summary>The actor's app; <see cref="SystemActor"/> for the server's own jobs.</summary>
    public required string ActorAppId { get; set; }
    public required string Action { get; set; }
    public Guid? TargetUserId { get; set; }
    /// <summary>What changed, by field name only: no personal data in the trail.</summary>
    public string? Detail { get; set; }
    public string? Source { get; set; }
    public DateTime At { get; set; }
    /// <summary>Position in the app's chain, from 1; null only for entries not chained yet.</summary>
    public long? Seq { get; set; }
    public byte[]? PrevHash { get; set; }
    public byte[]? Hash { get; set; }

    public const string SystemActor = "system";
}

/// <summary>The newest link of an app's audit chain; updated in the transaction that appends.</summary>
public sealed class AuditHead
{
    public required string AppId { get; set; }
    public long Seq { get; set; }
    public required byte[] Hash { get; set; }
}

internal sealed class AuditRecordConfiguration : IEntityTypeConfiguration<AuditRecord>
{
    public void Configure(EntityTypeBuilder<AuditRecord> record)
    {
        record.ToTable("audit_records");
        record.HasKey(r => r.Id);
        record.Property(r => r.AppId).HasMaxLength(64);
        record.Property(r => r.ActorAppId).HasMaxLength(64);
        record.Property(r => r.Action).HasMaxLength(64);
        record.Property(r => r.Detail).HasMaxLength(1000);
        record.Property(r => r.Source).HasMaxLength(64);
        record.HasIndex(r => new { r.AppId, r.At });
        record.HasIndex(r => new { r.AppId, r.Seq }).IsUnique();
        record.HasIndex(r => new { r.AppId, r.TargetUserId });
    }
}

internal sealed class AuditHeadConfiguration : IEntityTypeConfiguration<AuditHead>
{
    public void Configure(EntityTypeBuilder<AuditHead> head)
    {
        head.ToTable("audit_heads");
        head.HasKey(h => h.AppId);
        head.Property(h => h.AppId).HasMaxLength(64);
    }
}
