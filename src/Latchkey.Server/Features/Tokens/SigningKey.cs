using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// An app's token signing key. The private half is stored wrapped by the master key; the public
/// half is published in the app's JWKS from <see cref="PublishedAt"/> until every token it signed
/// has expired after <see cref="RetiredAt"/>, or until it is revoked (<see cref="RevokedAt"/>).
/// </summary>
public sealed class SigningKey : ITenantOwned
{
    public required string Id { get; set; }
    public required string AppId { get; set; }
    public required string Algorithm { get; set; }
    public required byte[] PublicKey { get; set; }
    public required byte[] WrappedPrivateKey { get; set; }
    public DateTime PublishedAt { get; set; }
    /// <summary>When the key starts signing; a rotation publishes the next key before this.</summary>
    public DateTime ActiveFrom { get; set; }
    public DateTime? RetiredAt { get; set; }
    /// <summary>
    /// When an admin revoked the key as compromised: from then on it is in no JWKS, signs nothing
    /// and validates nothing, whatever its other times say.
    /// </summary>
    public DateTime? RevokedAt { get; set; }
}

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> key)
    {
        key.ToTable("signing_keys");
        key.HasKey(k => k.Id);
        key.Property(k => k.Id).HasMaxLength(64);
        key.Property(k => k.AppId).HasMaxLength(64);
        key.Property(k => k.Algorithm).HasMaxLength(16);
        key.HasIndex(k => k.AppId);
        key.HasOne<Apps.App>().WithMany().HasForeignKey(k => k.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
