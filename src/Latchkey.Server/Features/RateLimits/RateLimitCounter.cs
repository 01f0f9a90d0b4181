using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>
/// One counter of failed credential checks (S5), shared by every node through the database: per
/// account (a blind index of the handle, so unknown accounts count alike) or per source address.
/// Updated only by conditional, atomic statements.
/// </summary>
public sealed class RateLimitCounter
{
    /// <summary>e.g. <c>acct:{app}:{hex}</c> or <c>ip:{app}:{address}</c>; never a handle in clear.</summary>
    public required string Key { get; set; }
    public required string AppId { get; set; }
    /// <summary>Failures since the last success (NIST SP 800-63B: at most 100 consecutive).</summary>
    public int ConsecutiveFailures { get; set; }
    /// <summary>Start of the current counting window (per-address limits).</summary>
    public DateTime WindowStart { get; set; }
    public int WindowCount { get; set; }
    public DateTime? LockedUntil { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class RateLimitCounterConfiguration : IEntityTypeConfiguration<RateLimitCounter>
{
    public void Configure(EntityTypeBuilder<RateLimitCounter> counter)
    {
        counter.ToTable("rate_limit_counters");
        counter.HasKey(c => c.Key);
        counter.Property(c => c.Key).HasMaxLength(200);
        counter.Property(c => c.AppId).HasMaxLength(64);
        counter.HasIndex(c => c.UpdatedAt);
    }
}
