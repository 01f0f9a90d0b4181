using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.AppServerKeys;

/// <summary>
/// A credential of an app's own back end (invitations, introspection): an id and a 256-bit
/// secret shown once and stored as SHA-256.
/// </summary>
public sealed class AppServerKey : ITenantOwned
{
    /// <summary>Public id, e.g. <c>sk_3f9a…</c>; the HTTP Basic user name.</summary>
    public required string Id { get; set; }
    public required string AppId { get; set; }
    public required string Name { get; set; }
    public required byte[] SecretHash { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class AppServerKeyConfiguration : IEntityTypeConfiguration<AppServerKey>
{
    public void Configure(EntityTypeBuilder<AppServerKey> key)
    {
        key.ToTable("app_server_keys");
        key.HasKey(k => k.Id);
        key.Property(k => k.Id).HasMaxLength(40);
        key.Property(k => k.AppId).HasMaxLength(64);
        key.Property(k => k.Name).HasMaxLength(100);
        key.HasIndex(k => k.AppId);
        key.HasOne<Apps.App>().WithMany().HasForeignKey(k => k.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
