using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>A WebAuthn credential (passkey) registered by a user (S3): a second factor and a passwordless sign-in.</summary>
public sealed class PasskeyCredential : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public Guid UserId { get; set; }
    /// <summary>The authenticator's credential id (raw bytes); unique per app.</summary>
    public required byte[] CredentialId { get; set; }
    /// <summary>The credential public key as COSE_Key bytes, as the authenticator gave it.</summary>
    public required byte[] PublicKeyCose { get; set; }
    public long SignCount { get; set; }
    public Guid Aaguid { get; set; }
    /// <summary>none or packed.</summary>
    public required string AttestationFormat { get; set; }
    public string? Transports { get; set; }
    public bool BackupEligible { get; set; }
    public string? Name { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}

internal sealed class PasskeyCredentialConfiguration : IEntityTypeConfiguration<PasskeyCredential>
{
    public void Configure(EntityTypeBuilder<PasskeyCredential> credential)
    {
        credential.ToTable("passkey_credentials");
        credential.HasKey(c => c.Id);
        credential.Property(c => c.AppId).HasMaxLength(64);
        credential.Property(c => c.AttestationFormat).HasMaxLength(16);
        credential.Property(c => c.Transports).HasMaxLength(200);
        credential.Property(c => c.Name).HasMaxLength(100);
        credential.HasIndex(c => new { c.AppId, c.CredentialId }).IsUnique();
        credential.HasIndex(c => c.UserId);
        credential.HasOne<Users.User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
