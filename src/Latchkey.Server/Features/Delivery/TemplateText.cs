using System.Net;
using System.Text.RegularExpressions;

namespace Latchkey.Server.Features.Delivery;

/// <summary>The words of one kind of message: email subject, plain text, HTML and SMS.</summary>
public sealed record TemplateParts(string Subject, string Text, string? Html, string? Sms);

/// <summary>
/// <c>{{name}}</c> placeholders, and nothing more: an app's template is data written by an
/// admin, so it may only insert the values listed here, HTML-encoded in the HTML body.
/// </summary>
public static partial class TemplateText
{
    public const string AppName = "appName";
    public const string Code = "code";
    public const string Link = "link";
    public const string ExpiresInMinutes = "expiresInMinutes";
    /// <summary>A readable duration, e.g. <c>10 minutes</c>, <c>1 hour</c>, <c>7 days</c>.</summary>
    public const string ExpiresIn = "expiresIn";
    /// <summary>The expiry instant, e.g. <c>2026-11-22 16:40 UTC</c>.</summary>
    public const string ExpiresAt = "expiresAt";

    public static readonly string[] Placeholders = [AppName, Code, Link, ExpiresInMinutes, ExpiresIn, ExpiresAt];

    [GeneratedRegex(@"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    /// <summary>Fills the placeholders; absent values become empty. <paramref name="html"/> encodes each value.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string?> values, bool html) =>
        Placeholder().Replace(template, match =>
        {
            var value = values.GetValueOrDefault(match.Groups[1].Value) ?? "";
            return html ? WebUtility.HtmlEncode(value) : value;
        });

    /// <summary>The placeholder names in a template that this server does not fill, in order of appearance.</summary>
    public static IReadOnlyList<string> Unknown(string? template) =>
        template is null
            ? []
            : Placeholder().Matches(template).Select(m => m.Groups[1].Value)
                .Where(name => !Placeholders.Contains(name)).Distinct().ToList();

    /// <summary>An HTML body for a template that has only text: encoded, paragraphs kept.</summary>
    public static string TextToHtml(string text)
    {
        var paragraphs = text.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(p => "<p>" + WebUtility.HtmlEncode(p.Trim()).Replace("\n", "<br>\n", StringComparison.Ordinal) + "</p>");
        return BuiltInTemplates.Layout(string.Join("\n", paragraphs));
    }

    /// <summary>A duration as people say it: <c>45 minutes</c>, <c>1 hour</c>, <c>3 hours</c>, <c>7 days</c>.</summary>
    public static string Readable(TimeSpan duration)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling(duration.TotalMinutes));
        if (minutes < 120 && minutes % 60 != 0)
        {
            return Plural(minutes, "minute");
        }
        if (minutes < 2 * 24 * 60)
        {
            return Plural((int)Math.Round(minutes / 60.0, MidpointRounding.AwayFromZero), "hour");
        }
        return Plural((int)Math.Round(minutes / 1440.0, MidpointRounding.AwayFromZero), "day");
    }

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
