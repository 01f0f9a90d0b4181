using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Recovery;

/// <summary>
/// Forgot-password by code or link (MISSION B6). Unknown emails get a decoy challenge that is
/// stored, throttled and answered like a real one, so nobody learns who has an account.
/// </summary>
public sealed class PasswordRecovery(
    ChallengeService challenges,
    UserAccounts accounts,
    PasswordHasher hasher,
    PasswordPolicy policy,
    SessionService sessions,
    Issuers issuers,
    LatchkeyDbContext db,
    TimeProvider clock)
{
    public async Task<int> StartAsync(App app, string email, string? language, CancellationToken ct)
    {
        var user = await accounts.FindByEmailAsync(app, email, ct);
        var flow = app.Settings.PasswordRecovery == RecoveryFlows.Link ? SignupFlows.Link : SignupFlows.Code;
        var started = await challenges.StartAsync(app, new ChallengeRequest
        {
            Purpose = ChallengePurposes.Recovery,
            Channel = Channels.Email,
            Target = email,
            Flow = flow,
            MessageKind = flow == SignupFlows.Link ? MessageKinds.RecoveryLink : MessageKinds.RecoveryCode,
            UserId = user?.Id,
            Decoy = user is null || user.Disabled,
            Language = language,
            Link = (id, token) => $"{issuers.For(app.Id)}/password/reset?challenge={id}&token={token}",
        }, ct);
        return started.ExpiresIn;
    }

    public async Task ResetWithCodeAsync(App app, string email, string? code, string newPassword, CancellationToken ct)
    {
        policy.Check(newPassword, email, "newPassword");
        var challenge = await challenges.FindLatestAsync(app, email, ChallengePurposes.Recovery, ct)
            ?? throw await challenges.NoSuchCodeAsync(app, email, ct);
        if (challenge.Flow != SignupFlows.Code)
        {
            throw Problems.CodeInvalid("This app resets passwords by link: open the link that was sent.");
        }
        await challenges.CheckCodeAsync(challenge, code, ct);
        await SetPasswordAsync(challenge, newPassword, ct);
    }

    public async Task ResetWithLinkAsync(App app, Guid challengeId, string? token, string newPassword, CancellationToken ct)
    {
        var found = await challenges.FindByLinkAsync(app, token, ct);
        if (found is null || found.Id != challengeId)
        {
            throw Problems.CodeInvalid("This link is not valid.");
        }
        policy.Check(newPassword, challenges.Payload(found).Email, "newPassword");
        var (challenge, first) = await challenges.ConfirmLinkAsync(app, token, [ChallengePurposes.Recovery], ct);
        if (!first)
        {
            throw Problems.CodeInvalid("This link was already used.");
        }
        await SetPasswordAsync(challenge, newPassword, ct);
    }

    private async Task SetPasswordAsync(Challenge challenge, string newPassword, CancellationToken ct)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == challenge.UserId, ct)
            ?? throw Problems.CodeInvalid("This code is not right.");
        user.PasswordHash = await hasher.HashAsync(newPassword, ct);
        // The message reached the mailbox, so the email is proven too.
        user.EmailVerified = true;
        user.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await sessions.RevokeAllAsync(user.Id, RevokeReasons.PasswordReset, ct);
    }
}
