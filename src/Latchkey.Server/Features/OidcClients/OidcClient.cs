using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.OidcClients;

/// <summary>
/// A client of an app's OpenID Connect provider (MISSION X1): a native app (public: no secret,
/// PKCE always) or one of the app's own servers (confidential: a 256-bit secret shown once and
/// stored as SHA-256). Its client id is unique within the app only.
/// </summary>
public sealed class OidcClient : ITenantOwned
{
    public required string AppId { get; set; }
    public required string ClientId { get; set; }
    public required string Name { get; set; }
    /// <summary><see cref="OidcClientTypes.Public"/> or <see cref="OidcClientTypes.Confidential"/>; never changes.</summary>
    public required string Type { get; set; }
    /// <summary>Matched exactly, except a loopback IP literal's port (<see cref="RedirectUris.Matches"/>).</summary>
    public List<string> RedirectUris { get; set; } = [];
    public List<string> PostLogoutRedirectUris { get; set; } = [];
    /// <summary>The scopes the client may ask for; null for every scope of the app.</summary>
    public List<string>? Scopes { get; set; }
    /// <summary>SHA-256 of a confidential client's secret; null for a public client.</summary>
    public byte[]? SecretHash { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class OidcClientTypes
{
    public const string Public = "public";
    public const string Confidential = "confidential";
}

internal sealed class OidcClientConfiguration : IEntityTypeConfiguration<OidcClient>
{
    public void Configure(EntityTypeBuilder<OidcClient> client)
    {
        client.ToTable("oidc_clients");
        client.HasKey(c => new { c.AppId, c.ClientId });
        client.Property(c => c.AppId).HasMaxLength(64);
        client.Property(c => c.ClientId).HasMaxLength(OidcClientRules.MaxClientIdLength);
        client.Property(c => c.Name).HasMaxLength(OidcClientRules.MaxNameLength);
        client.Property(c => c.Type).HasMaxLength(16);
        // Note: one array column each (JSON on SQLite, text[] on PostgreSQL): a client has a few URIs at most.
        client.PrimitiveCollection(c => c.RedirectUris);
        client.PrimitiveCollection(c => c.PostLogoutRedirectUris);
        client.PrimitiveCollection(c => c.Scopes);
        client.HasOne<Apps.App>().WithMany().HasForeignKey(c => c.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
