using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// One email or SMS, written in the same transaction as the code or link it carries, then sent
/// by a delivery worker on any node (claimed through <see cref="LockedUntil"/>) and retried with
/// backoff. Recipient and content are sealed under a server key; once a real provider accepted
/// it, the content is wiped, and only the outbox delivery keeps it (to show it to developers).
/// </summary>
public sealed class Message : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    /// <summary><c>email</c> or <c>sms</c>.</summary>
    public required string Channel { get; set; }
    /// <summary>The template kind, e.g. <c>signupCode</c>.</summary>
    public required string Kind { get; set; }
    public required byte[] ToIndex { get; set; }
    /// <summary>Sealed JSON: to, from, subject, text, html, code, link.</summary>
    public byte[]? ContentSealed { get; set; }
    /// <summary><c>pending</c>, <c>sent</c> or <c>failed</c>.</summary>
    public required string Status { get; set; }
    /// <summary>Which delivery sent it: <c>outbox</c>, <c>smtp</c>, <c>twilio</c>, <c>webhook</c>.</summary>
    public string? Provider { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? LockedUntil { get; set; }
    /// <summary>The last provider error, without the message's content.</summary>
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
}

public static class MessageStatus
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Failed = "failed";
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> message)
    {
        message.ToTable("messages");
        message.HasKey(m => m.Id);
        message.Property(m => m.AppId).HasMaxLength(64);
        message.Property(m => m.Channel).HasMaxLength(8);
        message.Property(m => m.Kind).HasMaxLength(32);
        message.Property(m => m.Status).HasMaxLength(16);
        message.Property(m => m.Provider).HasMaxLength(16);
        message.Property(m => m.LastError).HasMaxLength(500);
        message.HasIndex(m => new { m.Status, m.NextAttemptAt });
        message.HasIndex(m => new { m.AppId, m.CreatedAt });
        message.HasIndex(m => m.CreatedAt);
        message.HasIndex(m => new { m.AppId, m.ToIndex });
        message.HasOne<Apps.App>().WithMany().HasForeignKey(m => m.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
