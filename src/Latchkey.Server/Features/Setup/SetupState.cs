using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Setup;

/// <summary>What a setup link finds: its form, a link that cannot be used, or setup already done.</summary>
public enum SetupLinkStatus
{
    Usable,
    Unknown,
    Complete,
}

/// <summary>
/// Whether the first super admin exists yet. Once one does, this node remembers it, so the home
/// page costs no query; until then every question asks the database, where another node may have
/// completed setup meanwhile.
/// </summary>
public sealed class SetupState(TimeProvider clock)
{
    private volatile bool _complete;

    public async Task<bool> IsCompleteAsync(LatchkeyDbContext db, CancellationToken ct)
    {
        if (_complete)
        {
            return true;
        }
        var complete = await db.Users.IgnoreQueryFilters().AnyAsync(u => u.AppId == App.ConsoleId && u.Role == Roles.SuperAdmin, ct);
        _complete = complete;
        return complete;
    }

    /// <summary>Setup done wins over the token: a used or unknown token after setup says setup is done.</summary>
    public async Task<SetupLinkStatus> CheckAsync(LatchkeyDbContext db, string? token, CancellationToken ct)
    {
        if (await IsCompleteAsync(db, ct))
        {
            return SetupLinkStatus.Complete;
        }
        if (string.IsNullOrEmpty(token) || token.Length > 64)
        {
            return SetupLinkStatus.Unknown;
        }
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow().UtcDateTime;
        var usable = await db.SetupTokens.AnyAsync(t => t.TokenHash == hash && t.UsedAt == null && t.ExpiresAt > now, ct);
        return usable ? SetupLinkStatus.Usable : SetupLinkStatus.Unknown;
    }
}
