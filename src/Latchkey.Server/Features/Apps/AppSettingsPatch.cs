using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.IpRanges;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Apps;

/// <summary>
/// Applies a partial settings object to an app's settings and checks the result as a whole, so a
/// bad or unknown setting is refused with its name and nothing is stored half-way.
/// </summary>
public static class AppSettingsPatch
{
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
        OneOf(errors, "accessMode", s.AccessMode, AccessModes.All);
        OneOf(errors, "signupFlow", s.SignupFlow, SignupFlows.All);
        OneOf(errors, "passwordRecovery", s.PasswordRecovery, RecoveryFlows.All);
        OneOf(errors, "mfaPolicy", s.MfaPolicy, MfaPolicies.All);
        Range(errors, "pinMaxAttempts", s.PinMaxAttempts, 1, 10);
        Range(errors, "trialDays", s.TrialDays, 1, 3650);
        Range(errors, "planReminderDays", s.PlanReminderDays, 0, 365);
        if (s.IdleLimitSeconds is { } idle && (idle < 10 || idle > 30 * 86_400))
        {
            errors["idleLimitSeconds"] = ["idleLimitSeconds must be between 10 and 2592000 (30 days), or null."];
        }
        if (s.IpRanges is null)
        {
            errors["ipRanges"] = ["ipRanges must be a list (empty: every address)."];
        }
        else if (IpRangeList.Problems(s.IpRanges) is { Length: > 0 } badRanges)
        {
            errors["ipRanges"] = badRanges;
        }
        if (s.Methods is null || s.Methods.Count == 0 || s.Methods.Any(m => !SignInMethods.All.Contains(m)) || s.Methods.Distinct().Count() != s.Methods.Count)
        {
            errors["methods"] = [$"methods must be a non-empty list of distinct values from: {string.Join(", ", SignInMethods.All)}."];
        }
        if (s.AccessMode == AccessModes.Registered && s.SignupFlow == SignupFlows.None)
        {
            errors["signupFlow"] = ["A registered app verifies every email or phone before handing out tokens: signupFlow must be code or link."];
        }
        if (s.AnonymousEnabled && s.AccessMode != AccessModes.Open)
        {
            errors["anonymousEnabled"] = ["Anonymous users exist only in open apps (a registered app verifies everyone; an invite-only app has only invited users)."];
        }
        Range(errors, "codeTimeoutSeconds", s.CodeTimeoutSeconds, 30, 3600);
        Range(errors, "codeMaxAttempts", s.CodeMaxAttempts, 1, 10);
        Range(errors, "codeResendSeconds", s.CodeResendSeconds, 0, 3600);
        Range(errors, "linkTimeoutSeconds", s.LinkTimeoutSeconds, 60, 7 * 86_400);
        Range(errors, "invitationLifetimeSeconds", s.InvitationLifetimeSeconds, 3600, 90 * 86_400);
        if (s.EmailFrom is not null && !System.Net.Mail.MailAddress.TryCreate(s.EmailFrom, out _))
        {
            errors["emailFrom"] = ["emailFrom must be an email address, e.g. \"Acme <no-reply@acme.example>\", or null."];
        }
        Range(errors, "accessTokenLifetimeSeconds", s.AccessTokenLifetimeSeconds, 60, 86_400);
        if (s.RefreshTokenLifetimeSeconds is < 300 or > 31_536_000)
        {
            errors["refreshTokenLifetimeSeconds"] = ["refreshTokenLifetimeSeconds must be between 300 and 31536000 (one year)."];
        }
        else if (s.RefreshTokenLifetimeSeconds <= s.AccessTokenLifetimeSeconds)
        {
            errors["refreshTokenLifetimeSeconds"] = ["refreshTokenLifetimeSeconds must be longer than accessTokenLifetimeSeconds."];
        }
        Range(errors, "refreshReuseIntervalSeconds", s.RefreshReuseIntervalSeconds, 0, 300);
    }

    private static void OneOf(Dictionary<string, string[]> errors, string name, string? value, string[] allowed)
    {
        if (value is null || !allowed.Contains(value))
        {
            errors[name] = [$"{name} must be one of: {string.Join(", ", allowed)}."];
        }
    }

    private static void Range(Dictionary<string, string[]> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors[name] = [$"{name} must be between {min} and {max}."];
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
