using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// Form fields written one way everywhere: a <c>label for</c> on every control, hints and errors
/// tied to it by <c>aria-describedby</c>, <c>aria-invalid</c> on a field in error, fieldset and
/// legend around radio and checkbox groups. Every value is HTML-encoded here.
/// </summary>
public static class ConsoleView
{
    public const string AdminKey = "ConsoleAdmin";
    public const string AppIdKey = "ConsoleAppId";
    public const string AppNameKey = "ConsoleAppName";
    /// <summary>The apps the app switcher offers (id, name): every app, for a super admin.</summary>
    public const string AppsKey = "ConsoleApps";

    public sealed record Option(string Value, string Label, string? Hint = null);

    private static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>The id of a field's control; error summaries link to it.</summary>
    public static string IdFor(string name) => "f-" + name.Replace("settings.", "", StringComparison.Ordinal).Replace('.', '-');

    public static IHtmlContent Input(string name, string label, string? value, string? hint = null, string? error = null,
        string type = "text", string? attributes = null, string? id = null)
    {
        id ??= IdFor(name);
        var html = new StringBuilder();
        html.Append("<div class=\"field").Append(error is null ? "" : " has-error").Append("\">");
        html.Append($"<label for=\"{E(id)}\">{E(label)}</label>");
        Described(html, id, hint, error);
        html.Append($"<input id=\"{E(id)}\" name=\"{E(name)}\" type=\"{E(type)}\" value=\"{E(value)}\"");
        Aria(html, id, hint, error);
        html.Append(attributes is null ? "" : " " + attributes).Append("></div>");
        return new HtmlString(html.ToString());
    }

    public static IHtmlContent TextArea(string name, string label, string? value, string? hint = null, string? error = null, int rows = 4)
    {
        var id = IdFor(name);
        var html = new StringBuilder();
        html.Append("<div class=\"field").Append(error is null ? "" : " has-error").Append("\">");
        html.Append($"<label for=\"{E(id)}\">{E(label)}</label>");
        Described(html, id, hint, error);
        html.Append($"<textarea id=\"{E(id)}\" name=\"{E(name)}\" rows=\"{rows}\" spellcheck=\"false\"");
        Aria(html, id, hint, error);
        html.Append($">{E(value)}</textarea></div>");
        return new HtmlString(html.ToString());
    }

    public static IHtmlContent Checkbox(string name, string label, bool isChecked, string? hint = null, string? error = null, string value = "true", string? id = null)
    {
        id ??= IdFor(name);
        var html = new StringBuilder();
        html.Append("<div class=\"check").Append(error is null ? "" : " has-error").Append("\">");
        html.Append($"<input id=\"{E(id)}\" name=\"{E(name)}\" type=\"checkbox\" value=\"{E(value)}\"{(isChecked ? " checked" : "")}");
        Aria(html, id, hint, error);
        html.Append($"><label for=\"{E(id)}\">{E(label)}</label>");
        Described(html, id, hint, error);
        html.Append("</div>");
        return new HtmlString(html.ToString());
    }

    /// <summary>A group of radio buttons (one value) or checkboxes (<paramref name="multiple"/>: several values) under a legend.</summary>
    public static IHtmlContent Choices(string name, string legend, IEnumerable<string> selected, IEnumerable<Option> options,
        string? hint = null, string? error = null, bool multiple = false)
    {
        var id = IdFor(name);
        var chosen = selected.ToHashSet(StringComparer.Ordinal);
        var html = new StringBuilder();
        html.Append($"<fieldset id=\"{E(id)}\" class=\"choices").Append(error is null ? "" : " has-error").Append('"');
        Aria(html, id, hint, error);
        html.Append($"><legend>{E(legend)}</legend>");
        Described(html, id, hint, error);
        foreach (var option in options)
        {
            var optionId = $"{id}-{option.Value}";
            html.Append("<div class=\"check\">");
            html.Append($"<input id=\"{E(optionId)}\" name=\"{E(name)}\" type=\"{(multiple ? "checkbox" : "radio")}\" value=\"{E(option.Value)}\"");
            html.Append(chosen.Contains(option.Value) ? " checked" : "");
            if (option.Hint is not null)
            {
                html.Append($" aria-describedby=\"{E(optionId)}-hint\"");
            }
            html.Append($"><label for=\"{E(optionId)}\">{E(option.Label)}</label>");
            if (option.Hint is not null)
            {
                html.Append($"<p class=\"hint\" id=\"{E(optionId)}-hint\">{E(option.Hint)}</p>");
            }
            html.Append("</div>");
        }
        html.Append("</fieldset>");
        return new HtmlString(html.ToString());
    }

    public static IHtmlContent Select(string name, string label, string? selected, IEnumerable<Option> options, string? hint = null, string? error = null)
    {
        var id = IdFor(name);
        var html = new StringBuilder();
        html.Append("<div class=\"field").Append(error is null ? "" : " has-error").Append("\">");
        html.Append($"<label for=\"{E(id)}\">{E(label)}</label>");
        Described(html, id, hint, error);
        html.Append($"<select id=\"{E(id)}\" name=\"{E(name)}\"");
        Aria(html, id, hint, error);
        html.Append('>');
        foreach (var option in options)
        {
            html.Append($"<option value=\"{E(option.Value)}\"{(option.Value == selected ? " selected" : "")}>{E(option.Label)}</option>");
        }
        html.Append("</select></div>");
        return new HtmlString(html.ToString());
    }

    private static void Described(StringBuilder html, string id, string? hint, string? error)
    {
        if (hint is not null)
        {
            html.Append($"<p class=\"hint\" id=\"{E(id)}-hint\">{E(hint)}</p>");
        }
        if (error is not null)
        {
            html.Append($"<p class=\"field-error\" id=\"{E(id)}-error\"><span class=\"visually-hidden\">Error: </span>{E(error)}</p>");
        }
    }

    private static void Aria(StringBuilder html, string id, string? hint, string? error)
    {
        var described = string.Join(' ', new[] { hint is null ? null : id + "-hint", error is null ? null : id + "-error" }.OfType<string>());
        if (described.Length > 0)
        {
            html.Append($" aria-describedby=\"{E(described)}\"");
        }
        if (error is not null)
        {
            html.Append(" aria-invalid=\"true\"");
        }
    }

    /// <summary>A UTC time as the console shows it, with the machine-readable value for screen readers and copying.</summary>
    /// <summary>
    /// The last 8 hex digits of an id, for tables on small screens (the page gives the whole id as a
    /// title). Note: the last ones, because version-7 ids begin with their creation time.
    /// </summary>
    public static string ShortId(Guid id) => "…" + id.ToString("N")[^8..];

    public static IHtmlContent Time(DateTime? utc)
    {
        if (utc is not { } value)
        {
            return new HtmlString("<span class=\"muted\">never</span>");
        }
        var at = DateTime.SpecifyKind(value, DateTimeKind.Utc);
        return new HtmlString($"<time datetime=\"{at.ToString("O", CultureInfo.InvariantCulture)}\">{at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</time>");
    }

    /// <summary>A duration in seconds, in words ("5 min", "30 days").</summary>
    public static string Duration(int seconds) => seconds switch
    {
        _ when seconds >= 86_400 && seconds % 86_400 == 0 => Plural(seconds / 86_400, "day"),
        _ when seconds >= 3600 && seconds % 3600 == 0 => Plural(seconds / 3600, "hour"),
        _ when seconds >= 60 && seconds % 60 == 0 => $"{seconds / 60} min",
        _ => $"{seconds} s",
    };

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
