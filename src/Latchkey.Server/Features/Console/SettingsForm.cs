using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// The settings form's values, one list of strings per setting name (the JSON name, which is also
/// the form field's name): read from an app's settings to show them, or from one posted section
/// (<see cref="SettingsSections"/>) to save them. Saving sends only the settings that changed, as the patch the admin API takes, so
/// <see cref="AppSettingsPatch"/> judges them exactly as it judges API calls.
/// </summary>
public sealed class SettingsForm
{
    private enum Kind { Bool, Int, NullableInt, String, NullableString, List }

    private sealed record Setting(string Name, Kind Kind);

    /// <summary>Every setting of <see cref="AppSettings"/> the JSON API reads and writes.</summary>
    private static readonly Setting[] All = Describe();

    public static IEnumerable<string> Names => All.Select(s => s.Name);

    private readonly Dictionary<string, List<string>> _values;

    private SettingsForm(Dictionary<string, List<string>> values) => _values = values;

    public static SettingsForm From(AppSettings settings)
    {
        var json = JsonSerializer.SerializeToNode(settings, AppSettings.JsonOptions)!.AsObject();
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var setting in All)
        {
            values[setting.Name] = json[setting.Name] switch
            {
                null => [],
                JsonArray items => items.Select(i => i?.ToString() ?? "").ToList(),
                JsonValue value when value.GetValueKind() == JsonValueKind.True => ["true"],
                JsonValue value when value.GetValueKind() == JsonValueKind.False => ["false"],
                JsonValue value => [value.ToString()],
                var other => [other.ToJsonString()],
            };
        }
        return new SettingsForm(values);
    }

    /// <summary>The stored settings with the posted values of <paramref name="only"/> (one section's settings) in place of theirs.</summary>
    public static SettingsForm From(AppSettings stored, IFormCollection form, IReadOnlyCollection<string> only)
    {
        var values = From(stored)._values;
        foreach (var setting in All.Where(s => only.Contains(s.Name)))
        {
            var posted = form[setting.Name];
            values[setting.Name] = setting.Kind switch
            {
                // An unticked checkbox sends nothing.
                Kind.Bool => [posted.Contains("true") ? "true" : "false"],
                // A list comes as ticked checkboxes or as a text area with one item per line.
                Kind.List => posted.SelectMany(v => (v ?? "").Split('\n')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList(),
                _ => [posted.FirstOrDefault()?.Trim() ?? ""],
            };
        }
        return new SettingsForm(values);
    }

    public string Value(string name) => _values.TryGetValue(name, out var v) ? v.FirstOrDefault() ?? "" : "";

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var v) ? v : [];

    public bool IsOn(string name) => Value(name) == "true";

    /// <summary>The settings whose form values differ from <paramref name="current"/>; field problems (not a number) as errors keyed settings.name.</summary>
    public JsonObject PatchFrom(AppSettings current)
    {
        var stored = JsonSerializer.SerializeToNode(current, AppSettings.JsonOptions)!.AsObject();
        var patch = new JsonObject();
        var errors = new Dictionary<string, string[]>();
        foreach (var setting in All)
        {
            var raw = Value(setting.Name);
            JsonNode? node;
            switch (setting.Kind)
            {
                case Kind.Bool:
                    node = JsonValue.Create(raw == "true");
                    break;
                case Kind.Int or Kind.NullableInt when raw.Length == 0:
                    if (setting.Kind == Kind.Int)
                    {
                        errors["settings." + setting.Name] = ["Enter a whole number."];
                        continue;
                    }
                    node = null;
                    break;
                case Kind.Int or Kind.NullableInt:
                    if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                    {
                        errors["settings." + setting.Name] = ["Enter a whole number."];
                        continue;
                    }
                    node = JsonValue.Create(number);
                    break;
                case Kind.NullableString:
                    node = raw.Length == 0 ? null : JsonValue.Create(raw);
                    break;
                case Kind.List:
                    node = new JsonArray(Values(setting.Name).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
                    break;
                default:
                    node = JsonValue.Create(raw);
                    break;
            }
            if (!JsonNode.DeepEquals(node, stored[setting.Name]))
            {
                patch[setting.Name] = node;
            }
        }
        if (errors.Count > 0)
        {
            throw Problems.InvalidRequest("Some settings are not valid.", errors);
        }
        return patch;
    }

    private static Setting[] Describe()
    {
        var nullability = new NullabilityInfoContext();
        return typeof(AppSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetIndexParameters().Length == 0)
            .Select(p => new Setting(JsonNamingPolicy.CamelCase.ConvertName(p.Name), p.PropertyType switch
            {
                var t when t == typeof(bool) => Kind.Bool,
                var t when t == typeof(int) => Kind.Int,
                var t when t == typeof(int?) => Kind.NullableInt,
                var t when t == typeof(string) => nullability.Create(p).ReadState == NullabilityState.Nullable ? Kind.NullableString : Kind.String,
                var t when typeof(IEnumerable<string>).IsAssignableFrom(t) => Kind.List,
                var t => throw new InvalidOperationException($"The console cannot show the setting {p.Name} of type {t.Name} yet."),
            }))
            .ToArray();
    }
}
