using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// Single use of authorization codes across nodes (<see cref="CodeRedemption"/>): the redemption
/// row is saved in the transaction that starts the code's session, so either both exist or
/// neither, and a code that comes back revokes that session.
/// </summary>
public sealed class OidcCodeRedemptions(LatchkeyDbContext db, SessionService sessions, TimeProvider clock)
{
    /// <summary>The row to save with the session <paramref name="codeId"/> starts.</summary>
    public Action<Session> RedeemAlongside(string appId, string codeId) => session => db.CodeRedemptions.Add(new CodeRedemption
    {
        CodeId = codeId,
        AppId = appId,
        SessionId = session.Id,
        RedeemedAt = clock.GetUtcNow().UtcDateTime,
        // Note: kept past the code's own expiry, so a late replay still finds what to revoke.
        ExpiresAt = clock.GetUtcNow().UtcDateTime + OidcProvider.CodeLifetime + TimeSpan.FromMinutes(10),
    });

    public Task<bool> IsRedeemedAsync(string codeId, CancellationToken ct) => db.CodeRedemptions.AnyAsync(c => c.CodeId == codeId, ct);

    /// <summary>The code came back: the session its first use started ends.</summary>
    public async Task RevokeReplayedAsync(string codeId, CancellationToken ct)
    {
        var sessionId = await db.CodeRedemptions.Where(c => c.CodeId == codeId).Select(c => c.SessionId).FirstOrDefaultAsync(ct);
        if (sessionId is { } id)
        {
            await sessions.RevokeAsync(id, RevokeReasons.CodeReplayed, ct);
        }
    }
}
