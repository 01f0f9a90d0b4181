using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Invitations;

/// <summary>
/// An invitation of a handle (email or phone) into an app (MISSION A6). The 6-digit code is sent
/// to the handle and stored only as an HMAC; the handle and metadata are sealed under a server key
/// until the invitee accepts and becomes a user with a data key of their own.
/// </summary>
public sealed class Invitation : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public required string Channel { get; set; }
    public required byte[] HandleIndex { get; set; }
    public required byte[] PayloadSealed { get; set; }
    public required byte[] CodeHash { get; set; }
    public bool SendWelcome { get; set; }
    /// <summary><c>user:&lt;id&gt;</c>, <c>admin:&lt;id&gt;</c> or <c>server-key:&lt;id&gt;</c>.</summary>
    public required string InvitedBy { get; set; }
    public Guid? InviterUserId { get; set; }
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? AcceptedAt { get; set; }
    public Guid? AcceptedUserId { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> invitation)
    {
        invitation.ToTable("invitations");
        invitation.HasKey(i => i.Id);
        invitation.Property(i => i.AppId).HasMaxLength(64);
        invitation.Property(i => i.Channel).HasMaxLength(8);
        invitation.Property(i => i.InvitedBy).HasMaxLength(80);
        invitation.HasIndex(i => new { i.AppId, i.HandleIndex });
        invitation.HasIndex(i => new { i.AppId, i.InviterUserId });
        invitation.HasOne<Apps.App>().WithMany().HasForeignKey(i => i.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
