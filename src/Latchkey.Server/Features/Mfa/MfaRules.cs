using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Mfa;

/// <summary>The names of the second factors, as <c>methods</c> and <c>method</c> carry them.</summary>
public static class MfaMethods
{
    public const string Totp = "totp";
    public const string Sms = "sms";
    public const string Recovery = "recovery";
    public const string Passkey = "passkey";
}

/// <summary>What <see cref="MfaFactor.Kind"/> holds.</summary>
public static class MfaKinds
{
    public const string Totp = "totp";
    public const string Sms = "sms";
}

/// <summary>The challenge purposes of the SMS codes this feature sends (the pending sign-in itself is <c>mfa</c>).</summary>
public static class MfaPurposes
{
    /// <summary>A code to a confirmed phone: at sign-in (POST /login/mfa/sms) or to confirm a change while signed in.</summary>
    public const string SmsCode = "mfa-sms";
    /// <summary>A code to a phone being enrolled.</summary>
    public const string SmsSetup = "mfa-sms-setup";
}

/// <summary>
/// The app's MFA policy (S3) applied to one user. <c>off</c>: no second factor is ever asked for,
/// even from users who enrolled one. <c>optional</c>: users who enrolled a factor give it at every
/// sign-in. <c>requiredForAdmins</c> and <c>required</c>: as optional, and the users it names must
/// enrol: they still get tokens (they need them to enrol), flagged with
/// <c>mfaEnrollmentRequired: true</c>, and while they have no factor the admin API refuses them
/// with 403 <c>mfa_enrollment_required</c> (an app's admins by their app's policy, the platform's
/// super admins by the console app's).
/// </summary>
/// <remarks>
/// Note: this is the shape GitHub and Google Workspace give enforced 2FA: sign-in is not blocked
/// (the user could not enrol otherwise), but what needs the stronger proof waits for enrolment.
/// </remarks>
public static class MfaRules
{
    public static bool Asks(AppSettings settings) => settings.MfaPolicy != MfaPolicies.Off;

    /// <summary>
    /// Whether the policy wants this user to have a second factor. <paramref name="holdsAdminPermissions"/>:
    /// their custom roles open part of the admin API, which makes them an admin for <c>requiredForAdmins</c>.
    /// </summary>
    public static bool RequiresFactor(AppSettings settings, string role, bool holdsAdminPermissions = false) => settings.MfaPolicy switch
    {
        MfaPolicies.Required => true,
        MfaPolicies.RequiredForAdmins => role is Roles.Admin or Roles.SuperAdmin || holdsAdminPermissions,
        _ => false,
    };

    /// <summary>Whether the answer for a user of <paramref name="role"/> turns on their custom roles (worth a query).</summary>
    public static bool DependsOnCustomRoles(AppSettings settings, string role) =>
        settings.MfaPolicy == MfaPolicies.RequiredForAdmins && role is not (Roles.Admin or Roles.SuperAdmin);

    /// <summary>Guests (anonymous users) cannot enrol, so no policy asks them to.</summary>
    public static bool RequiresFactor(AppSettings settings, User user) => !user.Anonymous && RequiresFactor(settings, user.Role);

    /// <summary>Recovery codes back the other factors up; alone they never make a user give a second factor.</summary>
    public static bool HasFactor(IEnumerable<string> enrolledMethods) => enrolledMethods.Any(m => m != MfaMethods.Recovery);

    public static ProblemException EnrollmentRequired() =>
        new(StatusCodes.Status403Forbidden, "mfa_enrollment_required",
            "This app requires a second factor for your role: enrol one first (POST /v1/apps/{appId}/me/mfa/totp).");

    public static ProblemException AlreadyEnrolled(string kind) =>
        Problems.Conflict("mfa_already_enrolled", $"You already have a confirmed {kind} factor; remove it first to set up another.");

    /// <summary>
    /// A refused second factor: code_invalid, with the reason the audit trail records (never
    /// shown to the client beyond the detail).
    /// </summary>
    public static ProblemException Rejected(string reason, string detail) => Tagged(Problems.CodeInvalid(detail), reason);

    /// <summary>Notes the reason on a problem another part raised (e.g. a challenge's code_invalid with its attemptsLeft).</summary>
    public static ProblemException Tagged(ProblemException problem, string reason)
    {
        problem.Data[ReasonKey] = reason;
        return problem;
    }

    public static string ReasonOf(ProblemException problem) => problem.Data[ReasonKey] as string ?? problem.Code;

    /// <summary>Digits only, with the spaces people type or paste ("123 456") removed.</summary>
    public static string? Digits(string? code, int length)
    {
        var compact = code?.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return compact is not null && compact.Length == length && compact.All(char.IsAsciiDigit) ? compact : null;
    }

    /// <summary>The field a factor's secret or phone is sealed under: bound to its row, so a sealed value cannot be moved to another.</summary>
    public static string SealedField(Guid factorId) => $"mfa:{factorId}";

    private const string ReasonKey = "latchkey.mfa.reason";
}
