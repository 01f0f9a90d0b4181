using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Sessions;

/// <summary>
/// One signed-in device: a refresh-token family plus the device it was issued to. The row keeps
/// its own last use and expiry, so no read has to walk the family.
/// </summary>
public sealed class Session : ITenantOwned
{
    /// <summary>Room for every scope a client may hold (<see cref="OidcClients.OidcClientRules"/>) and the standard ones.</summary>
    public const int MaxScopeLength = (OidcClients.OidcClientRules.MaxScopes + 5) * (OidcClients.OidcClientRules.MaxScopeLength + 1);

    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public Guid UserId { get; set; }
    /// <summary>The device description, sealed with the user's data key.</summary>
    public byte[]? DeviceSealed { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedReason { get; set; }
    /// <summary>The last time the device used the session (sign-in, refresh, PIN); S1 idleness is measured from here.</summary>
    public DateTime LastSeenAt { get; set; }
    /// <summary>When the family's newest refresh token expires: the session ends then unless it is refreshed.</summary>
    public DateTime ExpiresAt { get; set; }
    /// <summary>S1: set when the app said it was unloaded or was idle too long; cleared by the right PIN.</summary>
    public DateTime? PinRequiredSince { get; set; }
    public int PinFailures { get; set; }
    /// <summary>X1: the OpenID Connect client the session was started for; null for the JSON API. Its refresh tokens are that client's.</summary>
    public string? ClientId { get; set; }
    /// <summary>X1: the scopes granted to <see cref="ClientId"/> (space-separated), named in its access tokens and read by userinfo.</summary>
    public string? Scope { get; set; }
}

public static class RevokeReasons
{
    public const string Logout = "logout";
    public const string User = "user";
    public const string Admin = "admin";
    public const string Reuse = "refresh_token_reused";
    public const string PasswordReset = "password_reset";
    public const string PinLocked = "pin_locked";
    /// <summary>X1: the authorization code that started the session came back (RFC 6749 §4.1.2).</summary>
    public const string CodeReplayed = "code_replayed";
}

/// <summary>
/// One refresh token of a family, stored only as its SHA-256. <see cref="UsedAt"/> is set exactly
/// once, by a conditional update, which is what decides a race between two nodes.
/// </summary>
public sealed class RefreshToken : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public Guid SessionId { get; set; }
    public required byte[] TokenHash { get; set; }
    public Guid? ParentId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class SessionConfiguration : IEntityTypeConfiguration<Session>
{
    public void Configure(EntityTypeBuilder<Session> session)
    {
        session.ToTable("sessions");
        session.HasKey(s => s.Id);
        session.Property(s => s.AppId).HasMaxLength(64);
        session.Property(s => s.RevokedReason).HasMaxLength(32);
        session.Property(s => s.ClientId).HasMaxLength(OidcClients.OidcClientRules.MaxClientIdLength);
        session.Property(s => s.Scope).HasMaxLength(Session.MaxScopeLength);
        session.HasIndex(s => s.UserId);
        // The cleanup job finds ended sessions by these.
        session.HasIndex(s => s.ExpiresAt);
        session.HasIndex(s => s.RevokedAt);
        session.HasOne<Users.User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> token)
    {
        token.ToTable("refresh_tokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.AppId).HasMaxLength(64);
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.HasIndex(t => t.SessionId);
        // The cleanup job finds spent tokens by it.
        token.HasIndex(t => t.ExpiresAt);
        token.HasOne<Session>().WithMany().HasForeignKey(t => t.SessionId).OnDelete(DeleteBehavior.Cascade);
    }
}
