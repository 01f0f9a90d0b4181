using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// The second step of a sign-in that answered mfa_required (S3), shared by POST /login/mfa and the
/// provider's sign-in page: the factor is checked against the pending sign-in, with both limits;
/// the caller starts the session.
/// </summary>
public sealed class MfaCompletion(
    MfaSignIns signIns, MfaGate gate, MfaAudit audit, CredentialThrottle throttle, ChallengeService challenges, UserKeyring keyring, LatchkeyDbContext db)
{
    public sealed record Completed(User User, UserKey Key, Device? Device);

    /// <summary>Throws the contract's problem (code_invalid with attemptsLeft, too_many_attempts…) when the factor does not hold.</summary>
    public async Task<Completed> VerifyAsync(App app, string mfaToken, string method, string? code, JsonElement? assertion, CancellationToken ct)
    {
        var pending = await signIns.FindOpenAsync(app, mfaToken, ct);
        var payload = challenges.Payload(pending);
        var methods = payload.MfaMethods ?? [];
        var factor = methods.Contains(method) ? gate.Find(method) : null;
        if (factor is null)
        {
            throw Problems.InvalidField("method", $"This sign-in can be finished with: {string.Join(", ", methods)}.");
        }
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == pending.UserId, ct)
            ?? throw Problems.CodeInvalid("The user of this sign-in no longer exists.");
        // Note: two limits: this sign-in's tries (then the mfaToken is dead), and the account's
        // failures across every mfaToken and node (S5: someone who knows the password could
        // otherwise sign in again and again to guess on).
        await signIns.CountAttemptAsync(pending, ct);
        var attempt = await throttle.EnsureAllowedAsync(app.Id, CredentialKinds.SecondFactor, user.Id.ToString(), ct);
        try
        {
            await factor.VerifyAsync(app, user, pending, code, assertion, ct);
        }
        catch (ProblemException refused) when (refused.Status is StatusCodes.Status400BadRequest or StatusCodes.Status429TooManyRequests)
        {
            // Whatever the factor said (a wrong or replayed code, an expired SMS code, a passkey
            // check), it is a refused second factor: recorded, and one try fewer for this sign-in.
            await throttle.RecordFailureAsync(attempt, CancellationToken.None);
            await audit.RecordFailureAsync(app, user, method, refused);
            var left = await signIns.AttemptsLeftAsync(pending, ct);
            if (left <= 0)
            {
                throw signIns.TooMany(pending);
            }
            throw refused.Code == "code_invalid" ? Problems.CodeInvalid(refused.Message, left) : refused;
        }
        await throttle.RecordSuccessAsync(attempt, ct);
        if (!await signIns.CompleteAsync(pending, ct))
        {
            throw Problems.CodeInvalid("This sign-in was already finished; sign in again.");
        }
        return new Completed(user, await keyring.GetAsync(user.Id, ct), payload.Device);
    }
}
