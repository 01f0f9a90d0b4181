using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// Ten single-use recovery codes per user, shown once and stored as an HMAC under a server key
/// bound to the user: 10 characters of Crockford base32 (50 bits, "k3f9q-2mx7d"), typed in any
/// case, with or without the dash. A code is spent by a conditional update, so it works once
/// across every node.
/// </summary>
public sealed class RecoveryCodes(LatchkeyDbContext db, ServerKeys keys, TimeProvider clock) : ISecondFactor
{
    public const int Count = 10;
    private const int Length = 10;
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public string Method => MfaMethods.Recovery;

    public IQueryable<string> Enrolment(App app, User user) =>
        db.RecoveryCodes.Where(c => c.UserId == user.Id && c.UsedAt == null).Select(_ => MfaMethods.Recovery);

    public Task VerifyAsync(App app, User user, Challenge mfaChallenge, string? code, JsonElement? assertion, CancellationToken ct) =>
        UseAsync(user, code, ct);

    public Task<int> LeftAsync(Guid userId, CancellationToken ct) =>
        db.RecoveryCodes.CountAsync(c => c.UserId == userId && c.UsedAt == null, ct);

    /// <summary>Replaces the user's codes with a fresh set (in one transaction) and answers them: the only time they are shown.</summary>
    public async Task<IReadOnlyList<string>> IssueAsync(App app, Guid userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.RecoveryCodes.Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);
        var codes = new List<string>(Count);
        for (var i = 0; i < Count; i++)
        {
            var code = RandomNumberGenerator.GetString(Alphabet, Length);
            codes.Add($"{code[..5]}-{code[5..]}");
            db.RecoveryCodes.Add(new RecoveryCode
            {
                Id = Guid.CreateVersion7(),
                AppId = app.Id,
                UserId = userId,
                CodeHash = keys.CodeHash(userId, code),
                CreatedAt = now,
            });
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return codes;
    }

    /// <summary>Spends one unused code of the user; throws code_invalid when it is not one.</summary>
    public async Task UseAsync(User user, string? code, CancellationToken ct)
    {
        var normalised = Normalise(code) ?? throw MfaRules.Rejected("wrong_code", "This is not a recovery code.");
        var hash = keys.CodeHash(user.Id, normalised);
        var now = clock.GetUtcNow().UtcDateTime;
        var spent = await db.RecoveryCodes
            .Where(c => c.UserId == user.Id && c.CodeHash == hash && c.UsedAt == null)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.UsedAt, now), ct);
        if (spent == 0)
        {
            throw MfaRules.Rejected("wrong_code", "This recovery code is not right or was already used.");
        }
    }

    public Task RemoveAllAsync(Guid userId, CancellationToken ct) =>
        db.RecoveryCodes.Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);

    /// <summary>Lower case without separators; the letters Crockford reads as digits (o, i, l) become them.</summary>
    private static string? Normalise(string? code)
    {
        if (code is null || code.Length > 32)
        {
            return null;
        }
        var text = new StringBuilder(Length);
        foreach (var c in code.ToLowerInvariant())
        {
            var mapped = c switch { 'o' => '0', 'i' or 'l' => '1', _ => c };
            if (mapped is '-' or ' ')
            {
                continue;
            }
            if (!Alphabet.Contains(mapped, StringComparison.Ordinal))
            {
                return null;
            }
            text.Append(mapped);
        }
        return text.Length == Length ? text.ToString() : null;
    }
}
