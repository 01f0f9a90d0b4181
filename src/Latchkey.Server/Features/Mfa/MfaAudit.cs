using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// The audit trail of second factors: refused ones (a warning in the log and a
/// <c>security.mfa_failed</c> record, e.g. a replayed TOTP code), enrolments and removals. The
/// limits on refused factors are <see cref="RateLimits.CredentialThrottle"/>'s (S5).
/// </summary>
public sealed class MfaAudit(LatchkeyDbContext db, AuditLog audit, ILogger<MfaAudit> logger)
{
    public const string Failed = "security.mfa_failed";
    public const string Enrolled = "security.mfa_enrolled";
    public const string Removed = "security.mfa_removed";
    public const string RecoveryCodesIssued = "security.recovery_codes_issued";

    /// <summary>Records a refused second factor at once, whatever the request does next.</summary>
    public async Task RecordFailureAsync(App app, User user, string method, ProblemException refusal)
    {
        var reason = MfaRules.ReasonOf(refusal);
        logger.LogWarning("Second factor {Method} refused for user {UserId} of app {AppId} from {Source}: {Reason}",
            method, user.Id, app.Id, audit.SourceIn(app.Id), reason);
        audit.RecordSelf(app.Id, user.Id, Failed, $"method={method}; reason={reason}");
        // Note: saved even when the client has gone away: the failure happened.
        await db.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>Adds a record of a change to the user's factors to the caller's unit of work.</summary>
    public void RecordChange(App app, Guid userId, string action, string method) => audit.RecordSelf(app.Id, userId, action, $"method={method}");
}
