using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.SignUp;

/// <summary>
/// Proving a handle, from the message sent to the tokens answered: starts the code or link of a
/// sign-up, an email verification or an anonymous user's upgrade, and completes it by purpose.
/// </summary>
public sealed class VerificationFlows(
    ChallengeService challenges,
    UserAccounts accounts,
    UserKeyring keyring,
    SessionService sessions,
    Issuers issuers,
    LatchkeyDbContext db,
    TimeProvider clock)
{
    public static readonly string[] SignupPurposes = [ChallengePurposes.Signup, ChallengePurposes.Verify, ChallengePurposes.Upgrade];

    public async Task<VerificationStarted> StartAsync(
        App app, string purpose, Handle handle, Guid? userId, ChallengePayload? payload, string? language, CancellationToken ct, string? flow = null,
        bool sendBudgetSpent = false)
    {
        flow ??= app.Settings.SignupFlow == SignupFlows.Link ? SignupFlows.Link : SignupFlows.Code;
        var started = await challenges.StartAsync(app, new ChallengeRequest
        {
            Purpose = purpose,
            Channel = handle.Channel,
            Target = handle.Value,
            Flow = flow,
            MessageKind = KindFor(purpose, flow),
            UserId = userId,
            Payload = payload,
            Language = language,
            // Note: the link holds only its secret, never the verification id that collects the tokens.
            Link = (_, token) => $"{issuers.For(app.Id)}/signup/confirm?token={token}",
            SendBudgetSpent = sendBudgetSpent,
        }, ct);
        return new VerificationStarted(started.Challenge.Id, flow, started.ExpiresIn);
    }

    /// <summary>
    /// A verified user who cannot have tokens yet (a registered app): sends a fresh code or link,
    /// or points at the one sent a moment ago.
    /// </summary>
    public async Task<ProblemException> VerificationRequiredAsync(App app, User user, UserKey key, string? language, CancellationToken ct)
    {
        var view = UserProfiles.View(user, key);
        Handle? handle = view.Email is not null ? new Handle(Channels.Email, view.Email) : view.Phone is not null ? new Handle(Channels.Sms, view.Phone) : null;
        if (handle is null)
        {
            return Problems.VerificationRequired("This user has no email or phone to verify; an admin must verify them.");
        }
        try
        {
            var started = await StartAsync(app, ChallengePurposes.Verify, handle.Value, user.Id, null, language, ct);
            return Problems.VerificationRequired("Verify your email or phone first: a code or link was just sent.", started.VerificationId);
        }
        catch (ProblemException e) when (e.Code == "rate_limited")
        {
            var latest = await challenges.FindLatestAsync(app, handle.Value.Value, ChallengePurposes.Verify, ct);
            return Problems.VerificationRequired("Verify your email or phone first: a code or link was sent a moment ago.", latest?.Id);
        }
    }

    /// <summary>Does what a completed challenge was for, and answers the user it is about.</summary>
    public async Task<(User User, UserKey Key)> CompleteAsync(App app, Challenge challenge, CancellationToken ct)
    {
        var payload = challenges.Payload(challenge);
        var viaEmail = challenge.Channel == Channels.Email;
        if (challenge.Purpose == ChallengePurposes.Signup)
        {
            // The app may have closed its doors since the code or link was sent.
            if (app.Settings.AccessMode == AccessModes.InviteOnly)
            {
                throw Problems.InvitationRequired();
            }
            if (!app.Settings.SignupEnabled)
            {
                throw Problems.SignupDisabled();
            }
            var created = await accounts.CreateAsync(app, new NewUser
            {
                Email = payload.Email,
                EmailVerified = viaEmail,
                Phone = payload.Phone,
                PhoneVerified = !viaEmail,
                Username = payload.Username,
                PasswordHash = payload.PasswordHash,
                Metadata = payload.Metadata,
            }, ct);
            return (created.User, created.Key);
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == challenge.UserId, ct)
            ?? throw Problems.CodeInvalid("The user this verification was for no longer exists.");
        var key = await keyring.GetAsync(user.Id, ct);
        if (challenge.Purpose == ChallengePurposes.Upgrade)
        {
            if (!user.Anonymous)
            {
                throw NotAnonymous();
            }
            await accounts.EnsureAvailableAsync(app, payload.Email, payload.Phone, payload.Username?.ToLowerInvariant(), user.Id, ct);
            Upgrade(user, key, payload, verified: true);
        }
        else
        {
            // A verification or a code sign-in proves the handle the message went to, if it is still the user's.
            var current = UserProfiles.View(user, key);
            if (viaEmail && current.Email == payload.Email)
            {
                user.EmailVerified = true;
            }
            else if (!viaEmail && current.Phone == payload.Phone)
            {
                user.PhoneVerified = true;
            }
        }
        user.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return (user, key);
    }

    /// <summary>Turns an anonymous user into a full one in place: same id, sessions and data.</summary>
    public void Upgrade(User user, UserKey key, ChallengePayload payload, bool verified)
    {
        if (payload.Email is not null)
        {
            // An anonymous user has no email, so no prefix rows to replace.
            accounts.SetEmail(user, key, payload.Email, verified);
        }
        if (payload.Phone is not null)
        {
            accounts.SetPhone(user, key, payload.Phone, verified);
        }
        if (payload.Username is not null)
        {
            accounts.SetUsername(user, key, payload.Username);
        }
        if (payload.PasswordHash is not null)
        {
            user.PasswordHash = payload.PasswordHash;
        }
        user.Anonymous = false;
    }

    public Task<TokenResponse> TokensAsync(App app, User user, UserKey key, Device? device, CancellationToken ct) =>
        sessions.StartAsync(app, user, key, UserProfiles.View(user, key), device, ct);

    public static ProblemException NotAnonymous() =>
        Problems.Conflict("not_anonymous", "This user is not anonymous: there is nothing to upgrade.");

    private static string KindFor(string purpose, string flow) => (purpose, flow) switch
    {
        (ChallengePurposes.Signup, SignupFlows.Link) => MessageKinds.SignupLink,
        (ChallengePurposes.Signup, _) => MessageKinds.SignupCode,
        (ChallengePurposes.Login, _) => MessageKinds.LoginCode,
        (_, SignupFlows.Link) => MessageKinds.VerifyLink,
        _ => MessageKinds.VerifyCode,
    };
}
