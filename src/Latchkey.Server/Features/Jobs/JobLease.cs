using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Jobs;

/// <summary>
/// Who runs a background job now. A node takes the lease by a conditional update (free, expired
/// or already its own), so with many nodes on one database one runs the job at a time, and
/// another takes over when the holder stops renewing.
/// </summary>
public sealed class JobLease
{
    public required string Name { get; set; }
    public required string Holder { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>When the job last finished a run (to catch up after downtime and to show in the console).</summary>
    public DateTime? LastRunAt { get; set; }
}

internal sealed class JobLeaseConfiguration : IEntityTypeConfiguration<JobLease>
{
    public void Configure(EntityTypeBuilder<JobLease> lease)
    {
        lease.ToTable("job_leases");
        lease.HasKey(l => l.Name);
        lease.Property(l => l.Name).HasMaxLength(64);
        lease.Property(l => l.Holder).HasMaxLength(128);
    }
}
