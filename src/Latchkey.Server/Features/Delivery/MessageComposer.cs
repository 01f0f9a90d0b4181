using System.Globalization;
using Latchkey.Server.Features.Apps;

namespace Latchkey.Server.Features.Delivery;

/// <summary>Renders a message from its template: what is sealed into the queue row.</summary>
public static class MessageComposer
{
    public static MessageContent Compose(App app, OutgoingMessage message, TemplateParts template, string? from, DateTime now)
    {
        var values = Values(app, message, now);
        if (message.Channel == Channels.Sms)
        {
            var sms = TemplateText.Render(template.Sms ?? template.Text, values, html: false).Trim();
            return new MessageContent(message.To.Trim(), null, null, sms, null, message.Code, message.Link);
        }
        // A subject is one header line: line breaks from a template or a value must not add headers.
        var subject = TemplateText.Render(template.Subject, values, html: false).ReplaceLineEndings(" ").Trim();
        var text = TemplateText.Render(template.Text, values, html: false);
        var html = template.Html is null ? TemplateText.TextToHtml(text) : TemplateText.Render(template.Html, values, html: true);
        return new MessageContent(message.To.Trim(), from, subject, text, html, message.Code, message.Link);
    }

    public static IReadOnlyDictionary<string, string?> Values(App app, OutgoingMessage message, DateTime now)
    {
        var values = new Dictionary<string, string?>
        {
            [TemplateText.AppName] = app.Name,
            [TemplateText.Code] = message.Code,
            [TemplateText.Link] = message.Link,
        };
        if (message.ExpiresAt is { } expiresAt)
        {
            var left = expiresAt - now;
            values[TemplateText.ExpiresInMinutes] = Math.Max(1, (int)Math.Ceiling(left.TotalMinutes)).ToString(CultureInfo.InvariantCulture);
            values[TemplateText.ExpiresIn] = TemplateText.Readable(left);
            values[TemplateText.ExpiresAt] = expiresAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        }
        return values;
    }
}
