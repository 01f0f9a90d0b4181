using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Sessions;

/// <summary>What one run of <see cref="SessionCleanup"/> deleted.</summary>
public sealed record SessionCleanupRun(int RefreshTokens, int Sessions);

/// <summary>
/// Keeps <c>refresh_tokens</c> and <c>sessions</c> from growing with every rotation. A used token
/// is deleted once nothing can replay it any more: it has expired (an expired token is refused
/// before reuse detection looks at it) or its session has ended. While a family is alive its
/// used, unexpired tokens stay: a replay of one of them is how reuse is detected. An ended session
/// is deleted with its last token after <see cref="SessionOptions.RetentionDays"/>.
/// </summary>
/// <remarks>
/// Note: these deletes span all apps on purpose (the job serves the platform), so each query
/// says so with <c>IgnoreQueryFilters()</c>. Each delete is idempotent: nodes may overlap.
/// </remarks>
public sealed class SessionCleanup(LatchkeyDbContext db, IOptions<SessionOptions> options, TimeProvider clock, ILogger<SessionCleanup> logger)
{
    public async Task<SessionCleanupRun> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var cutoff = now - options.Value.Retention;
        var tokens = db.RefreshTokens.IgnoreQueryFilters();
        var sessions = db.Sessions.IgnoreQueryFilters();

        var spent = await DeleteAllAsync(tokens.Where(t => t.UsedAt != null && t.ExpiresAt <= now), ct);
        var ended = sessions.Where(s => s.RevokedAt != null || s.ExpiresAt <= now).Select(s => s.Id);
        spent += await DeleteAllAsync(tokens.Where(t => t.UsedAt != null && ended.Contains(t.SessionId)), ct);

        var gone = 0;
        while (true)
        {
            var batch = await sessions.Where(s => s.RevokedAt < cutoff || s.ExpiresAt < cutoff)
                .OrderBy(s => s.Id).Take(options.Value.BatchSize).Select(s => s.Id).ToListAsync(ct);
            if (batch.Count == 0)
            {
                break;
            }
            spent += await tokens.Where(t => batch.Contains(t.SessionId)).ExecuteDeleteAsync(ct);
            gone += await sessions.Where(s => batch.Contains(s.Id)).ExecuteDeleteAsync(ct);
            if (batch.Count < options.Value.BatchSize)
            {
                break;
            }
        }
        if (spent + gone > 0)
        {
            logger.LogInformation("Session cleanup deleted {RefreshTokens} refresh tokens and {Sessions} ended sessions", spent, gone);
        }
        return new SessionCleanupRun(spent, gone);
    }

    private async Task<int> DeleteAllAsync(IQueryable<RefreshToken> rows, CancellationToken ct)
    {
        var size = options.Value.BatchSize;
        var total = 0;
        int deleted;
        do
        {
            deleted = await rows.OrderBy(t => t.Id).Take(size).ExecuteDeleteAsync(ct);
            total += deleted;
        }
        while (deleted == size);
        return total;
    }
}
