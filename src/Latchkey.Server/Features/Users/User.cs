using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// A user of one app. Personal data is stored only sealed with the user's own data key (kept in
/// the key store); the email can still be looked up through its keyed blind index.
/// </summary>
public sealed class User : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public byte[]? EmailIndex { get; set; }
    public byte[]? EmailSealed { get; set; }
    /// <summary>
    /// Blind index of the email's UTS #39 skeleton (<see cref="EmailAddress.Skeleton"/>): finds
    /// the addresses a new one would look like. Not unique: ASCII-only addresses may share one.
    /// </summary>
    public byte[]? EmailSkeletonIndex { get; set; }
    public bool EmailVerified { get; set; }
    /// <summary>Blind index of the E.164 phone number.</summary>
    public byte[]? PhoneIndex { get; set; }
    public byte[]? PhoneSealed { get; set; }
    public bool PhoneVerified { get; set; }
    /// <summary>Blind index of the user name's folded form (<see cref="UserNames"/>); unique per app.</summary>
    public byte[]? UsernameIndex { get; set; }
    /// <summary>The user name as the user wrote it (after NFKC), sealed.</summary>
    public byte[]? UsernameSealed { get; set; }
    public string? PasswordHash { get; set; }
    public required string Role { get; set; }
    public required string Plan { get; set; }
    /// <summary>U4: when a trial or paid plan ends; null: it does not (free, or paid without end).</summary>
    public DateTime? PlanExpiresAt { get; set; }
    /// <summary>U4: the expiry a renewal reminder was sent for, so each expiry gets one reminder.</summary>
    public DateTime? PlanReminderSentFor { get; set; }
    public bool Anonymous { get; set; }
    /// <summary>S1: the PIN, hashed like a password (Argon2id); set by the user or pre-filled by an admin.</summary>
    public string? PinHash { get; set; }
    public bool Disabled { get; set; }
    /// <summary>displayName, pronouns, preferences, metadata… as one sealed JSON document.</summary>
    public byte[]? ProfileSealed { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class Roles
{
    public const string SuperAdmin = "superadmin";
    public const string Admin = "admin";
    public const string User = "user";
}

public static class Plans
{
    public const string Free = "free";
    public const string Trial = "trial";
    public const string Paid = "paid";
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("users");
        user.HasKey(u => u.Id);
        user.Property(u => u.AppId).HasMaxLength(64);
        user.Property(u => u.Role).HasMaxLength(32);
        user.Property(u => u.Plan).HasMaxLength(32);
        user.Property(u => u.PasswordHash).HasMaxLength(256);
        // Note: NULL emails (anonymous users, phone-only users) never collide in a unique index.
        user.HasIndex(u => new { u.AppId, u.EmailIndex }).IsUnique();
        user.HasIndex(u => new { u.AppId, u.EmailSkeletonIndex });
        user.HasIndex(u => new { u.AppId, u.PhoneIndex }).IsUnique();
        user.HasIndex(u => new { u.AppId, u.UsernameIndex }).IsUnique();
        user.HasIndex(u => new { u.AppId, u.Anonymous });
        user.HasIndex(u => new { u.AppId, u.Role });
        user.HasIndex(u => new { u.Plan, u.PlanExpiresAt });
        user.HasOne<Apps.App>().WithMany().HasForeignKey(u => u.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
