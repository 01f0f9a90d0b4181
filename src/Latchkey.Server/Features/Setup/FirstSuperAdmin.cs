using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Setup;

/// <summary>Creates the first super admin with the printed setup token: for the JSON API and the setup page alike.</summary>
public sealed class FirstSuperAdmin(LatchkeyDbContext db, UserAccounts accounts, PasswordPolicy policy, TimeProvider clock)
{
    public async Task<UserAccounts.Created> CreateAsync(string token, string email, string password, CancellationToken ct)
    {
        // Setup works inside the console app, where super admins live.
        db.TenantAppId = App.ConsoleId;
        if (await db.Users.AnyAsync(u => u.AppId == App.ConsoleId && u.Role == Roles.SuperAdmin, ct))
        {
            throw Problems.Conflict("setup_complete", "Latchkey already has a super admin; sign in through the console app.");
        }
        if (!EmailAddress.TryNormalise(email, out var normalised))
        {
            throw Problems.InvalidField("email", "This is not a valid email address.");
        }
        // Note: before the token is claimed, so a password the policy refuses does not use up the link.
        policy.Check(password, normalised);
        var now = clock.GetUtcNow().UtcDateTime;
        var hash = Secrets.Hash(token);
        // Single use, decided by the database even if two requests race.
        var claimed = await db.SetupTokens
            .Where(t => t.TokenHash == hash && t.UsedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.UsedAt, now), ct);
        if (claimed != 1)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, "setup_token_invalid",
                "This setup token is unknown, used or expired; restart the server for a new one.");
        }
        var console = await db.Apps.AsNoTracking().FirstAsync(a => a.Id == App.ConsoleId, ct);
        return await accounts.CreateWithPasswordAsync(console, normalised, password, Roles.SuperAdmin, metadata: null, ct);
    }
}
