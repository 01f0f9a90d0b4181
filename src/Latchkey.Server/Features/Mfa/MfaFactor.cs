using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Mfa;

/// <summary>A user's second factor (S3): a TOTP authenticator or an SMS phone. Passkeys live in their own table.</summary>
public sealed class MfaFactor : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public Guid UserId { get; set; }
    /// <summary><c>totp</c> or <c>sms</c>.</summary>
    public required string Kind { get; set; }
    /// <summary>The TOTP secret or the SMS phone, sealed with the user's data key.</summary>
    public byte[]? SecretSealed { get; set; }
    /// <summary>Null until the user proved the factor works (a first code).</summary>
    public DateTime? ConfirmedAt { get; set; }
    /// <summary>The TOTP time step last accepted: a code is never accepted twice (replay).</summary>
    public long? LastUsedStep { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>One single-use recovery code, stored as an HMAC.</summary>
public sealed class RecoveryCode : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public Guid UserId { get; set; }
    public required byte[] CodeHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class MfaFactorConfiguration : IEntityTypeConfiguration<MfaFactor>
{
    public void Configure(EntityTypeBuilder<MfaFactor> factor)
    {
        factor.ToTable("mfa_factors");
        factor.HasKey(f => f.Id);
        factor.Property(f => f.AppId).HasMaxLength(64);
        factor.Property(f => f.Kind).HasMaxLength(16);
        factor.HasIndex(f => new { f.UserId, f.Kind });
        factor.HasOne<Users.User>().WithMany().HasForeignKey(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCode>
{
    public void Configure(EntityTypeBuilder<RecoveryCode> code)
    {
        code.ToTable("mfa_recovery_codes");
        code.HasKey(c => c.Id);
        code.Property(c => c.AppId).HasMaxLength(64);
        code.HasIndex(c => c.UserId);
        code.HasOne<Users.User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
