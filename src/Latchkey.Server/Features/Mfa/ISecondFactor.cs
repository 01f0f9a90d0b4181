using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Users;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// One way to give a second factor at POST /login/mfa (S3): "totp", "sms", "recovery", "passkey".
/// Each feature registers its own; the MFA flow finds them by <see cref="Method"/>.
/// </summary>
public interface ISecondFactor
{
    string Method { get; }

    /// <summary>
    /// A query that yields <see cref="Method"/> when this user has this factor ready (it goes into
    /// mfa_required's methods); the gate asks every factor's in one round trip.
    /// </summary>
    IQueryable<string> Enrolment(App app, User user);

    /// <summary>
    /// Checks the factor for the pending sign-in <paramref name="mfaChallenge"/>; throws the
    /// contract's problem (code_invalid, too_many_attempts…) when it does not hold.
    /// </summary>
    Task VerifyAsync(App app, User user, Challenge mfaChallenge, string? code, JsonElement? assertion, CancellationToken ct);
}
