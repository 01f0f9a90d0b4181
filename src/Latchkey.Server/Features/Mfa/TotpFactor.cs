using System.Security.Cryptography;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using OtpNet;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// TOTP (RFC 6238) as any authenticator app computes it: SHA-1, 6 digits, 30-second steps, a
/// 160-bit secret sealed with the user's data key. Otp.NET does the algorithm; this class decides
/// which steps count: one step of clock drift either way, and never a step already used.
/// </summary>
public sealed class TotpFactor(LatchkeyDbContext db, UserKeyring keyring, TimeProvider clock) : ISecondFactor
{
    public const int Digits = 6;
    public const int PeriodSeconds = 30;
    private const int SecretBytes = 20;
    private static readonly VerificationWindow Drift = new(previous: 1, future: 1);

    public string Method => MfaMethods.Totp;

    public IQueryable<string> Enrolment(App app, User user) =>
        db.MfaFactors.Where(f => f.UserId == user.Id && f.Kind == MfaKinds.Totp && f.ConfirmedAt != null).Select(_ => MfaMethods.Totp);

    public Task<bool> IsEnrolledAsync(App app, User user, CancellationToken ct) => Enrolment(app, user).AnyAsync(ct);

    public Task VerifyAsync(App app, User user, Challenge mfaChallenge, string? code, JsonElement? assertion, CancellationToken ct) =>
        CheckAsync(user, code, ct);

    /// <summary>Accepts a current code of the user's confirmed authenticator once; throws code_invalid otherwise.</summary>
    public async Task CheckAsync(User user, string? code, CancellationToken ct)
    {
        var factor = await db.MfaFactors.AsNoTracking()
            .FirstOrDefaultAsync(f => f.UserId == user.Id && f.Kind == MfaKinds.Totp && f.ConfirmedAt != null, ct)
            ?? throw MfaRules.Rejected("not_enrolled", "You have no authenticator app set up.");
        var key = await keyring.GetAsync(user.Id, ct);
        var step = Match(SecretOf(factor, key), code)
            ?? throw MfaRules.Rejected("wrong_code", "This code is not right.");
        // Note: the step is claimed by a conditional update, so of two requests with the same code,
        // on one node or two, exactly one gets through; older steps are refused as well.
        var claimed = await db.MfaFactors
            .Where(f => f.Id == factor.Id && f.ConfirmedAt != null && (f.LastUsedStep == null || f.LastUsedStep < step))
            .ExecuteUpdateAsync(f => f.SetProperty(x => x.LastUsedStep, (long?)step), ct);
        if (claimed == 0)
        {
            throw MfaRules.Rejected("replayed", "This code was already used; wait for the next one.");
        }
    }

    /// <summary>A fresh secret for enrolment, base32 as authenticator apps take it.</summary>
    public static string NewSecret() => Base32Encoding.ToString(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>The time step the code belongs to (within the allowed drift), or null when it is not a current code.</summary>
    public long? Match(string base32Secret, string? code)
    {
        var digits = MfaRules.Digits(code, Digits);
        if (digits is null)
        {
            return null;
        }
        var totp = new Totp(Base32Encoding.ToBytes(base32Secret), PeriodSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(clock.GetUtcNow().UtcDateTime, digits, out var step, Drift) ? step : null;
    }

    public static string SecretOf(MfaFactor factor, UserKey key) =>
        key.Decrypt(MfaRules.SealedField(factor.Id), factor.SecretSealed) ?? throw new InvalidOperationException("A TOTP factor without its secret.");
}
