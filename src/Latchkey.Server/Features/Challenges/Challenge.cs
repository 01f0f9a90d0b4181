using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Challenges;

/// <summary>
/// One code or link sent to a handle (email or phone) to prove the person holds it: a pending
/// sign-up, a code sign-in, an email verification, an anonymous user's upgrade, a password
/// recovery. The code is stored only as an HMAC under a server key; attempts, use and the link's
/// opening are each decided by a conditional update, so any node may serve any step.
/// </summary>
public sealed class Challenge : ITenantOwned
{
    /// <summary>Random (v4), not time-ordered: the id is what the client polls with.</summary>
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public required string Purpose { get; set; }
    /// <summary><c>email</c> or <c>sms</c>.</summary>
    public required string Channel { get; set; }
    /// <summary><c>code</c> or <c>link</c>.</summary>
    public required string Flow { get; set; }
    /// <summary>Blind index of the handle the message went to (resend throttling, recovery lookup).</summary>
    public required byte[] TargetIndex { get; set; }
    public byte[]? CodeHash { get; set; }
    public byte[]? LinkTokenHash { get; set; }
    /// <summary>The user it is about; for a sign-up, the user it created once completed.</summary>
    public Guid? UserId { get; set; }
    /// <summary>What completing it needs (the handle, a password hash, metadata…), sealed under a server key.</summary>
    public byte[]? PayloadSealed { get; set; }
    /// <summary>Answers like a real challenge but can never succeed (unknown handles: no enumeration).</summary>
    public bool Decoy { get; set; }
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>Set once, when the right code was given or the link was confirmed.</summary>
    public DateTime? CompletedAt { get; set; }
    /// <summary>Set once, when the waiting client collected its tokens (link flow).</summary>
    public DateTime? ClaimedAt { get; set; }
}

public static class ChallengePurposes
{
    /// <summary>A new account, created when the handle is proven (registered apps, code sign-in of a new handle).</summary>
    public const string Signup = "signup";
    /// <summary>An existing user proving their email or phone (open apps verify after sign-up).</summary>
    public const string Verify = "verify";
    /// <summary>An anonymous user becoming a full user.</summary>
    public const string Upgrade = "upgrade";
    public const string Login = "login";
    public const string Recovery = "recovery";
    /// <summary>S3: a sign-in that proved the first factor and waits for the second (the mfaToken).</summary>
    public const string Mfa = "mfa";
    /// <summary>S3: a WebAuthn registration or assertion ceremony in progress.</summary>
    public const string PasskeyRegistration = "passkey-reg";
    public const string PasskeyLogin = "passkey-login";
}

internal sealed class ChallengeConfiguration : IEntityTypeConfiguration<Challenge>
{
    public void Configure(EntityTypeBuilder<Challenge> challenge)
    {
        challenge.ToTable("challenges");
        challenge.HasKey(c => c.Id);
        challenge.Property(c => c.AppId).HasMaxLength(64);
        challenge.Property(c => c.Purpose).HasMaxLength(16);
        challenge.Property(c => c.Channel).HasMaxLength(8);
        challenge.Property(c => c.Flow).HasMaxLength(8);
        challenge.HasIndex(c => new { c.AppId, c.TargetIndex, c.CreatedAt });
        challenge.HasIndex(c => c.ExpiresAt);
        // Links carry only their token: it is how a link finds its challenge.
        challenge.HasIndex(c => c.LinkTokenHash).IsUnique();
        challenge.HasOne<Apps.App>().WithMany().HasForeignKey(c => c.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
