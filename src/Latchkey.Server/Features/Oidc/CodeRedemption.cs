using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// An authorization code that was redeemed. OpenIddict's degraded mode keeps no token store, so
/// a code's single use is this row: its id is the primary key, so of two redemptions (on two
/// nodes) exactly one inserts it. The session the first one started is revoked when the code
/// comes back (RFC 6749 §4.1.2). Rows go once the code has expired.
/// </summary>
public sealed class CodeRedemption : ITenantOwned
{
    public required string CodeId { get; set; }
    public required string AppId { get; set; }
    /// <summary>The session the redemption started; null until it is recorded.</summary>
    public Guid? SessionId { get; set; }
    public DateTime RedeemedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
}

internal sealed class CodeRedemptionConfiguration : IEntityTypeConfiguration<CodeRedemption>
{
    public void Configure(EntityTypeBuilder<CodeRedemption> code)
    {
        code.ToTable("oidc_code_redemptions");
        code.HasKey(c => c.CodeId);
        code.Property(c => c.CodeId).HasMaxLength(64);
        code.Property(c => c.AppId).HasMaxLength(64);
        code.HasIndex(c => c.ExpiresAt);
        code.HasOne<Apps.App>().WithMany().HasForeignKey(c => c.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
