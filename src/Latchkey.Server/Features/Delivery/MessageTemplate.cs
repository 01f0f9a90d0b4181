using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// An app's own wording of one kind of message in one language; built-in English templates
/// answer for every kind and language an app did not write.
/// </summary>
public sealed class MessageTemplate : ITenantOwned
{
    public Guid Id { get; set; }
    public required string AppId { get; set; }
    public required string Kind { get; set; }
    /// <summary>A BCP 47 language, lower-case, e.g. <c>en</c>, <c>de</c>, <c>pt-br</c>.</summary>
    public required string Language { get; set; }
    public required string Subject { get; set; }
    public required string Text { get; set; }
    public string? Html { get; set; }
    /// <summary>The SMS wording; the text body when null.</summary>
    public string? Sms { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class MessageTemplateConfiguration : IEntityTypeConfiguration<MessageTemplate>
{
    public void Configure(EntityTypeBuilder<MessageTemplate> template)
    {
        template.ToTable("message_templates");
        template.HasKey(t => t.Id);
        template.Property(t => t.AppId).HasMaxLength(64);
        template.Property(t => t.Kind).HasMaxLength(32);
        template.Property(t => t.Language).HasMaxLength(16);
        template.Property(t => t.Subject).HasMaxLength(200);
        template.Property(t => t.Text).HasMaxLength(8000);
        template.Property(t => t.Html).HasMaxLength(32000);
        template.Property(t => t.Sms).HasMaxLength(640);
        template.HasIndex(t => new { t.AppId, t.Kind, t.Language }).IsUnique();
        template.HasOne<Apps.App>().WithMany().HasForeignKey(t => t.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}
