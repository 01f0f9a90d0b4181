using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>What happens around a factor's own setup: recovery codes when one is confirmed, and the rules for removing one.</summary>
public sealed class MfaEnrolment(LatchkeyDbContext db, MfaGate gate, StepUp stepUp, RecoveryCodes recovery, MfaAudit audit)
{
    /// <summary>
    /// A factor was just confirmed: records it and answers a fresh set of recovery codes (older
    /// ones stop working), so that the answer that turns MFA on always carries the way back in.
    /// </summary>
    public async Task<IReadOnlyList<string>> ConfirmedAsync(App app, Guid userId, string method, CancellationToken ct)
    {
        audit.RecordChange(app, userId, MfaAudit.Enrolled, method);
        audit.RecordChange(app, userId, MfaAudit.RecoveryCodesIssued, method);
        return await recovery.IssueAsync(app, userId, ct);
    }

    /// <summary>New recovery codes, for a user who proves a current second factor.</summary>
    public async Task<IReadOnlyList<string>> RenewRecoveryCodesAsync(App app, User user, FactorProof? proof, CancellationToken ct)
    {
        if (!MfaRules.HasFactor(await gate.EnrolledMethodsAsync(app, user, ct)))
        {
            throw Problems.Conflict("mfa_not_enrolled", "Recovery codes back up a second factor: set one up first.");
        }
        await stepUp.RequireAsync(app, user, proof, ct);
        audit.RecordChange(app, user.Id, MfaAudit.RecoveryCodesIssued, proof?.Method ?? "default");
        return await recovery.IssueAsync(app, user.Id, ct);
    }

    /// <summary>
    /// Removes the user's factor of <paramref name="kind"/>. A confirmed one needs a current second
    /// factor, and is kept while the app's policy requires one and it is the last; with the last
    /// factor go the recovery codes.
    /// </summary>
    public async Task RemoveAsync(App app, User user, string kind, FactorProof? proof, CancellationToken ct)
    {
        var ofKind = db.MfaFactors.Where(f => f.UserId == user.Id && f.Kind == kind);
        if (!await ofKind.AnyAsync(f => f.ConfirmedAt != null, ct))
        {
            // Only a setup that was never confirmed: it protects nothing yet.
            if (await ofKind.ExecuteDeleteAsync(ct) == 0)
            {
                throw Problems.NotFound($"You have no {kind} factor.");
            }
            return;
        }
        var others = (await gate.EnrolledMethodsAsync(app, user, ct)).Where(m => m != kind && m != MfaMethods.Recovery).ToList();
        if (others.Count == 0 && await gate.RequiresFactorAsync(app, user, ct))
        {
            throw Problems.Forbidden("This app requires a second factor of you: set up another one before removing this one.");
        }
        await stepUp.RequireAsync(app, user, proof, ct);
        await ofKind.ExecuteDeleteAsync(ct);
        if (others.Count == 0)
        {
            await recovery.RemoveAllAsync(user.Id, ct);
        }
        audit.RecordChange(app, user.Id, MfaAudit.Removed, kind);
        await db.SaveChangesAsync(ct);
    }
}
