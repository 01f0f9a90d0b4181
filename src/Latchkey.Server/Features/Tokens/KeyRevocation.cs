using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// Takes a compromised signing key out of service at once. Unlike a rotation, which keeps the old
/// key published until its tokens have expired, a revoked key leaves the JWKS now and every token
/// it signed (or that a holder of its private half signs, with any expiry) is refused: validation
/// and the JWKS read the same rule (<see cref="SigningKeys.FindPublishedAsync"/>).
/// </summary>
public sealed class KeyRevocation(LatchkeyDbContext db, KeyRotation rotation, JwksDocuments jwks, TimeProvider clock)
{
    public enum Result
    {
        Revoked,
        /// <summary>It was revoked before (by this admin's retry or another's): nothing changed.</summary>
        AlreadyRevoked,
        NotFound,
    }

    /// <param name="Replacement">The key that signs now in its place, when the revoked key signed or was about to.</param>
    public sealed record Outcome(Result Result, SigningKey? Replacement = null);

    public async Task<Outcome> RevokeAsync(string appId, string keyId, CancellationToken ct)
    {
        var key = await db.SigningKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == keyId && k.AppId == appId, ct);
        if (key is null)
        {
            return new Outcome(Result.NotFound);
        }
        if (key.RevokedAt is not null)
        {
            return new Outcome(Result.AlreadyRevoked);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        SigningKey? replacement = null;
        if (key.RetiredAt is null || key.RetiredAt > now)
        {
            // Note: the key signs now, or is the next key of a rotation and will: an emergency
            // rotation first gives the app a key that signs at once (and retires every other), so
            // the app never has nothing to sign with.
            replacement = await rotation.RotateAsync(appId, immediate: true, ct);
        }
        // A conditional update: of two admins revoking at once, one changes the row.
        var revoked = await db.SigningKeys
            .Where(k => k.Id == keyId && k.AppId == appId && k.RevokedAt == null)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, now), ct);
        jwks.Forget(appId);
        return new Outcome(revoked == 1 ? Result.Revoked : Result.AlreadyRevoked, replacement);
    }
}
