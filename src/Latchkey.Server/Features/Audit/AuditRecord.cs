using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// One admin action on a user's personal data or credentials (MISSION P5). The hash chain and
/// its checkpoints come with the console; the records are written from now on.
/// </summary>
public sealed class AuditRecord
{
    public long Id { get; set; }
    public required string AppId { get; set; }
    /// <summary>The acting user (a super admin of the console app or an admin of this app).</summary>
    public Guid? ActorUserId { get; set; }
    public required string ActorAppId { get; set; }
    public required string Action { get; set; }
    public Guid? TargetUserId { get; set; }
    /// <summary>What changed, by field name only: no personal data in the trail.</summary>
    public string? Detail { get; set; }
    public string? Source { get; set; }
    public DateTime At { get; set; }
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
    }
}
