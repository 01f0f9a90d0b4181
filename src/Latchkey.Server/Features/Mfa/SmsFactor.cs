using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// A 6-digit code sent by SMS to the user's confirmed second-factor phone (sealed with the user's
/// data key). The codes are ordinary challenges: the app's code lifetime, attempt limit and
/// resend throttle apply, and each is single-use.
/// </summary>
public sealed class SmsFactor(LatchkeyDbContext db, UserKeyring keyring, ChallengeService challenges) : ISecondFactor
{
    public string Method => MfaMethods.Sms;

    public IQueryable<string> Enrolment(App app, User user) =>
        db.MfaFactors.Where(f => f.UserId == user.Id && f.Kind == MfaKinds.Sms && f.ConfirmedAt != null).Select(_ => MfaMethods.Sms);

    public Task<bool> IsEnrolledAsync(App app, User user, CancellationToken ct) => Enrolment(app, user).AnyAsync(ct);

    /// <summary>At sign-in: the code must have been asked for (POST /login/mfa/sms) for this pending sign-in.</summary>
    public Task VerifyAsync(App app, User user, Challenge mfaChallenge, string? code, JsonElement? assertion, CancellationToken ct) =>
        CheckAsync(app, user, code, mfaChallenge.CreatedAt, ct);

    /// <summary>Sends a code to the user's confirmed phone; answers its lifetime in seconds.</summary>
    public async Task<int> SendAsync(App app, User user, string? language, CancellationToken ct)
    {
        var phone = await ConfirmedPhoneAsync(user, ct)
            ?? throw Infrastructure.Problems.Problems.Conflict("mfa_not_enrolled", "You have no phone set up as a second factor.");
        return await SendAsync(app, user, phone, MfaPurposes.SmsCode, language, ct);
    }

    public async Task<int> SendAsync(App app, User user, string phone, string purpose, string? language, CancellationToken ct)
    {
        var started = await challenges.StartAsync(app, new ChallengeRequest
        {
            Purpose = purpose,
            Channel = Channels.Sms,
            Target = phone,
            Flow = SignupFlows.Code,
            MessageKind = MessageKinds.LoginCode,
            UserId = user.Id,
            Language = language,
        }, ct);
        return started.ExpiresIn;
    }

    /// <summary>Checks the newest code sent to the user's confirmed phone (since <paramref name="since"/>, when given).</summary>
    public async Task CheckAsync(App app, User user, string? code, DateTime? since, CancellationToken ct)
    {
        var phone = await ConfirmedPhoneAsync(user, ct)
            ?? throw MfaRules.Rejected("not_enrolled", "You have no phone set up as a second factor.");
        await CheckSentAsync(app, user, phone, MfaPurposes.SmsCode, code, since, ct);
    }

    /// <summary>Checks the newest code of a purpose sent to a phone for this user; the challenge's own rules apply.</summary>
    public async Task CheckSentAsync(App app, User user, string phone, string purpose, string? code, DateTime? since, CancellationToken ct)
    {
        var sent = await challenges.FindLatestAsync(app, phone, purpose, ct);
        if (sent is null || sent.UserId != user.Id || (since is { } after && sent.CreatedAt < after))
        {
            throw MfaRules.Rejected("no_code_sent", "No code was sent for this yet: ask for one first.");
        }
        try
        {
            await challenges.CheckCodeAsync(sent, code, ct);
        }
        catch (Infrastructure.Problems.ProblemException e) when (e.Code == "code_invalid")
        {
            throw MfaRules.Tagged(e, "wrong_code");
        }
    }

    public async Task<string?> ConfirmedPhoneAsync(User user, CancellationToken ct)
    {
        var factor = await db.MfaFactors.AsNoTracking()
            .FirstOrDefaultAsync(f => f.UserId == user.Id && f.Kind == MfaKinds.Sms && f.ConfirmedAt != null, ct);
        return factor is null ? null : PhoneOf(factor, await keyring.GetAsync(user.Id, ct));
    }

    public static string? PhoneOf(MfaFactor factor, UserKey key) => key.Decrypt(MfaRules.SealedField(factor.Id), factor.SecretSealed);
}
