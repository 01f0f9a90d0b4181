namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// The settings page's sections, each its own form that saves only its own settings: a save of
/// one leaves the others as stored (even when another admin changed them meanwhile). Settings
/// that the API checks against each other (access mode and sign-up flow, token lifetimes, PIN and
/// idle limit) share a section, so their problems show where both can be fixed.
/// </summary>
public static class SettingsSections
{
    public sealed record Section(string Id, string Title, IReadOnlyList<string> Settings);

    /// <summary>The app's name, saved by the first section (it is no setting).</summary>
    public const string App = "app";

    public static readonly Section[] All =
    [
        new(App, "App", []),
        new("access", "Who can access and sign-up",
            ["accessMode", "signupEnabled", "signupFlow", "anonymousEnabled", "usernamesEnabled", "invitationsEnabled", "invitationLifetimeSeconds"]),
        new("authenticate", "How users sign in",
            ["methods", "codeTimeoutSeconds", "codeMaxAttempts", "codeResendSeconds", "linkTimeoutSeconds", "passwordRecovery", "emailFrom"]),
        new("lifetimes", "Token lifetimes", ["accessTokenLifetimeSeconds", "refreshTokenLifetimeSeconds", "refreshReuseIntervalSeconds"]),
        new("extra", "Extra security", ["pinEnabled", "idleLimitSeconds", "pinMaxAttempts", "ipRanges"]),
        new("second-factor", "Second factor", ["mfaPolicy"]),
        new("plans", "Plans", ["trialDays", "planReminderDays"]),
    ];

    public static Section? Find(string? id) => All.FirstOrDefault(s => s.Id == id);
}
