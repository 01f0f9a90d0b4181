using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Challenges;

/// <summary>
/// Deletes challenges and invitations long past their expiry, with the sealed pending data they
/// hold, and the provider's spent code redemptions. Every node runs it; the deletes are idempotent,
/// so no coordination is needed.
/// </summary>
public sealed class ExpiredRowsCleanup(IServiceScopeFactory scopes, TimeProvider clock, ILogger<ExpiredRowsCleanup> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Keep = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, TimeProvider.System);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
                var cutoff = clock.GetUtcNow().UtcDateTime - Keep;
                // Note: every app's rows (the job serves the platform).
                await db.Challenges.IgnoreQueryFilters().Where(c => c.ExpiresAt < cutoff).ExecuteDeleteAsync(stoppingToken);
                await db.Invitations.IgnoreQueryFilters().Where(i => i.ExpiresAt < cutoff - TimeSpan.FromDays(29)).ExecuteDeleteAsync(stoppingToken);
                // Rate-limit counters (S5) untouched for a day have nothing left to limit.
                var now = cutoff + Keep;
                await db.RateLimitCounters.Where(c => c.UpdatedAt < cutoff && (c.LockedUntil == null || c.LockedUntil < now)).ExecuteDeleteAsync(stoppingToken);
                // X1: a redeemed code's row outlives the code only to catch a late replay.
                await db.CodeRedemptions.IgnoreQueryFilters().Where(c => c.ExpiresAt < now).ExecuteDeleteAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not delete expired challenges; will try again");
            }
        }
    }
}
