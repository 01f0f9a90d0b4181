using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Server.Features.Apps;

/// <summary>
/// An app's settings: one flat object (docs/api.md). A setting appears here once the feature
/// behind it works; <see cref="AppSettingsPatch"/> refuses names it does not know and checks how
/// they combine.
/// </summary>
public sealed record AppSettings
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // Note: as for request bodies (StrictJson): "60" is not a number of seconds.
        NumberHandling = JsonNumberHandling.Strict,
    };

    public string AccessMode { get; init; } = AccessModes.Registered;
    public bool SignupEnabled { get; init; } = true;
    public string SignupFlow { get; init; } = SignupFlows.Code;
    public bool AnonymousEnabled { get; init; }
    public bool UsernamesEnabled { get; init; }
    public bool InvitationsEnabled { get; init; }
    public IReadOnlyList<string> Methods { get; init; } = [SignInMethods.Password];
    public int CodeTimeoutSeconds { get; init; } = 60;
    public int CodeMaxAttempts { get; init; } = 5;
    /// <summary>How long a sent code or link must wait before another one goes to the same handle.</summary>
    public int CodeResendSeconds { get; init; } = 30;
    /// <summary>Links (sign-up, recovery) live longer than codes: mail can take minutes to arrive.</summary>
    public int LinkTimeoutSeconds { get; init; } = 3600;
    public int InvitationLifetimeSeconds { get; init; } = 7 * 86_400;
    public string PasswordRecovery { get; init; } = RecoveryFlows.Code;
    /// <summary>The sender of this app's mail; the deployment's default when null.</summary>
    public string? EmailFrom { get; init; }
    /// <summary>S1: users may (or must, once an admin set one) unlock refreshes with a PIN.</summary>
    public bool PinEnabled { get; init; }
    /// <summary>S1: after this many idle seconds the next refresh asks for the PIN; null: never for idleness.</summary>
    public int? IdleLimitSeconds { get; init; }
    public int PinMaxAttempts { get; init; } = 5;
    /// <summary>S2: allowed client addresses, CIDR ("10.0.0.0/8") or ranges ("192.0.2.10-192.0.2.20"); empty: all.</summary>
    public IReadOnlyList<string> IpRanges { get; init; } = [];
    /// <summary>S3: off, optional, requiredForAdmins or required.</summary>
    public string MfaPolicy { get; init; } = MfaPolicies.Optional;
    public int AccessTokenLifetimeSeconds { get; init; } = 900;
    public int RefreshTokenLifetimeSeconds { get; init; } = 2_592_000;
    public int RefreshReuseIntervalSeconds { get; init; } = 10;
    /// <summary>U4: how long a trial lasts when an admin starts one without an end date.</summary>
    public int TrialDays { get; init; } = 30;
    /// <summary>U4: paid users get one renewal reminder this many days before their plan ends; 0: none.</summary>
    public int PlanReminderDays { get; init; } = 30;

    [JsonIgnore] public TimeSpan AccessTokenLifetime => TimeSpan.FromSeconds(AccessTokenLifetimeSeconds);
    [JsonIgnore] public TimeSpan RefreshTokenLifetime => TimeSpan.FromSeconds(RefreshTokenLifetimeSeconds);
    [JsonIgnore] public TimeSpan RefreshReuseInterval => TimeSpan.FromSeconds(RefreshReuseIntervalSeconds);
    [JsonIgnore] public TimeSpan CodeTimeout => TimeSpan.FromSeconds(CodeTimeoutSeconds);
    [JsonIgnore] public TimeSpan LinkTimeout => TimeSpan.FromSeconds(LinkTimeoutSeconds);
    [JsonIgnore] public TimeSpan CodeResend => TimeSpan.FromSeconds(CodeResendSeconds);

    /// <summary>Whether people may create their own accounts (sign-up, code sign-in of a new handle, anonymous).</summary>
    [JsonIgnore] public bool SelfSignupAllowed => SignupEnabled && AccessMode != AccessModes.InviteOnly;

    public bool Allows(string method) => Methods.Contains(method);
}

public static class AccessModes
{
    public const string Open = "open";
    public const string Registered = "registered";
    public const string InviteOnly = "inviteOnly";
    public static readonly string[] All = [Open, Registered, InviteOnly];
}

public static class SignupFlows
{
    public const string None = "none";
    public const string Code = "code";
    public const string Link = "link";
    public static readonly string[] All = [None, Code, Link];
}

public static class RecoveryFlows
{
    public const string Code = "code";
    public const string Link = "link";
    public static readonly string[] All = [Code, Link];
}

public static class MfaPolicies
{
    public const string Off = "off";
    public const string Optional = "optional";
    public const string RequiredForAdmins = "requiredForAdmins";
    public const string Required = "required";
    public static readonly string[] All = [Off, Optional, RequiredForAdmins, Required];
}

public static class SignInMethods
{
    public const string Password = "password";
    public const string EmailCode = "emailCode";
    public const string SmsCode = "smsCode";
    public static readonly string[] All = [Password, EmailCode, SmsCode];
}
