using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The provider's server-wide keys (X1): OpenIddict signs and encrypts authorization codes with
/// them, so every node must hold the same pair across restarts. Stored wrapped by the master key,
/// like the apps' signing keys, and never published in any app's JWKS. One row.
/// </summary>
public sealed class OidcServerKey
{
    public const string DefaultId = "default";

    public required string Id { get; set; }
    /// <summary>A P-256 private key (PKCS#8), sealed: it signs the codes (and names the <c>at_hash</c> algorithm, SHA-256).</summary>
    public required byte[] WrappedSigningKey { get; set; }
    /// <summary>A 256-bit AES key, sealed: codes are encrypted too, so a code shows nothing of the user.</summary>
    public required byte[] WrappedEncryptionKey { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class OidcServerKeyConfiguration : IEntityTypeConfiguration<OidcServerKey>
{
    public void Configure(EntityTypeBuilder<OidcServerKey> key)
    {
        key.ToTable("oidc_server_keys");
        key.HasKey(k => k.Id);
        key.Property(k => k.Id).HasMaxLength(32);
    }
}
