using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Apps;

/// <summary>
/// Applies a partial settings object to an app's settings and checks the result as a whole, so a
/// bad or unknown setting is refused with its name and nothing is stored half-way.
/// </summary>
public static class AppSettingsPatch
{
    private static readonly string[] SupportedAccessModes = ["open"];
    private static readonly string[] SupportedFlows = ["none"];
    private static readonly string[] SupportedMethods = ["password"];

    public static AppSettings Apply(AppSettings current, JsonObject? patch)
    {
        if (patch is null || patch.Count == 0)
        {
            return current;
        }

        var merged = JsonSerializer.SerializeToNode(current, AppSettings.JsonOptions)!.AsObject();
        var errors = new Dictionary<string, string[]>();
        foreach (var (name, value) in patch)
        {
            if (!merged.ContainsKey(name))
            {
                errors[name] = [$"'{name}' is not a setting this server knows."];
                continue;
            }
            merged[name] = value?.DeepClone();
        }
        ThrowIfAny(errors);

        AppSettings result;
        try
        {
            result = merged.Deserialize<AppSettings>(AppSettings.JsonOptions)
                ?? throw Problems.InvalidRequest("settings must be an object.");
        }
        catch (JsonException e)
        {
            var field = e.Path?.TrimStart('$', '.') is { Length: > 0 } path ? path : "settings";
            throw Problems.InvalidField("settings." + field, $"'{field}' has the wrong type.");
        }
        Validate(result, errors);
        ThrowIfAny(errors);
        return result;
    }

    private static void Validate(AppSettings s, Dictionary<string, string[]> errors)
    {
        if (!SupportedAccessModes.Contains(s.AccessMode))
        {
            errors["accessMode"] = [$"accessMode must be one of: {string.Join(", ", SupportedAccessModes)} (registered and inviteOnly come with verification flows)."];
        }
        if (!SupportedFlows.Contains(s.SignupFlow))
        {
            errors["signupFlow"] = [$"signupFlow must be one of: {string.Join(", ", SupportedFlows)} (code and link come with verification flows)."];
        }
        if (s.Methods is null || s.Methods.Count == 0 || s.Methods.Any(m => !SupportedMethods.Contains(m)) || s.Methods.Distinct().Count() != s.Methods.Count)
        {
            errors["methods"] = [$"methods must be a non-empty list of distinct values from: {string.Join(", ", SupportedMethods)}."];
        }
        if (s.AccessTokenLifetimeSeconds is < 60 or > 86_400)
        {
            errors["accessTokenLifetimeSeconds"] = ["accessTokenLifetimeSeconds must be between 60 and 86400."];
        }
        if (s.RefreshTokenLifetimeSeconds is < 300 or > 31_536_000)
        {
            errors["refreshTokenLifetimeSeconds"] = ["refreshTokenLifetimeSeconds must be between 300 and 31536000 (one year)."];
        }
        else if (s.RefreshTokenLifetimeSeconds <= s.AccessTokenLifetimeSeconds)
        {
            errors["refreshTokenLifetimeSeconds"] = ["refreshTokenLifetimeSeconds must be longer than accessTokenLifetimeSeconds."];
        }
        if (s.RefreshReuseIntervalSeconds is < 0 or > 300)
        {
            errors["refreshReuseIntervalSeconds"] = ["refreshReuseIntervalSeconds must be between 0 and 300."];
        }
    }

    private static void ThrowIfAny(Dictionary<string, string[]> errors)
    {
        if (errors.Count > 0)
        {
            throw Problems.InvalidRequest("Some settings are not valid.", errors.ToDictionary(e => "settings." + e.Key, e => e.Value));
        }
    }
}
