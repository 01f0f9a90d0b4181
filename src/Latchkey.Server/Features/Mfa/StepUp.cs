using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Mfa;

/// <summary>A current second factor, given to change the factors themselves while signed in.</summary>
public sealed record FactorProof
{
    /// <summary><c>totp</c>, <c>sms</c> (after POST /me/mfa/sms/code) or <c>recovery</c>; by default the user's authenticator, else their phone.</summary>
    [MaxLength(16)] public string? Method { get; init; }
    [Required, MaxLength(64)] public string Code { get; init; } = "";
}

/// <summary>
/// Asks a signed-in user for a current second factor before a change to their factors (removing
/// one, new recovery codes): an access token alone must not be enough to take MFA off an account.
/// Refusals are recorded, and limited per account (S5) together with those at sign-in.
/// </summary>
public sealed class StepUp(TotpFactor totp, SmsFactor sms, RecoveryCodes recovery, MfaAudit audit, CredentialThrottle throttle)
{
    public async Task RequireAsync(App app, User user, FactorProof? proof, CancellationToken ct)
    {
        if (proof is null || string.IsNullOrWhiteSpace(proof.Code))
        {
            throw Problems.InvalidField("code", "Confirm this with a code from one of your second factors.");
        }
        var method = proof.Method
            ?? (await totp.IsEnrolledAsync(app, user, ct) ? MfaMethods.Totp
                : await sms.IsEnrolledAsync(app, user, ct) ? MfaMethods.Sms
                : MfaMethods.Recovery);
        if (method is not (MfaMethods.Totp or MfaMethods.Sms or MfaMethods.Recovery))
        {
            throw Problems.InvalidField("method", "Confirm this with a code from your authenticator app, a text message or a recovery code.");
        }
        var attempt = await throttle.EnsureAllowedAsync(app.Id, CredentialKinds.SecondFactor, user.Id.ToString(), ct);
        try
        {
            switch (method)
            {
                case MfaMethods.Totp:
                    await totp.CheckAsync(user, proof.Code, ct);
                    break;
                case MfaMethods.Sms:
                    await sms.CheckAsync(app, user, proof.Code, since: null, ct);
                    break;
                default:
                    await recovery.UseAsync(user, proof.Code, ct);
                    break;
            }
        }
        catch (ProblemException refused) when (refused.Code is "code_invalid" or "code_expired" or "too_many_attempts")
        {
            await throttle.RecordFailureAsync(attempt, CancellationToken.None);
            await audit.RecordFailureAsync(app, user, method, refused);
            throw;
        }
        await throttle.RecordSuccessAsync(attempt, ct);
    }
}
