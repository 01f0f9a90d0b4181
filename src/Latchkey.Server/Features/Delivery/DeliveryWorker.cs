using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Runs on every node: sends due messages whenever <see cref="DeliverySignal"/> wakes it (a
/// message was saved on this node) or its poll interval passes (real time, so that tests whose
/// clock stands still are not stuck), and deletes old rows now and then. Timestamps come from
/// the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class DeliveryWorker(
    MessageDispatcher dispatcher, IServiceScopeFactory scopes, DeliverySignal signal, IOptions<DeliveryOptions> options,
    TimeProvider clock, ILogger<DeliveryWorker> logger) : BackgroundService
{
    public static readonly TimeSpan OutboxRetention = TimeSpan.FromDays(7);
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    private static readonly TimeSpan CleanupInterval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var providers = options.Value.WorkerProviders();
        var interval = options.Value.PollInterval;
        long? lastCleanup = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (providers.Count > 0)
                {
                    await dispatcher.SendDueAsync(providers, stoppingToken);
                }
                if (lastCleanup is null || TimeProvider.System.GetElapsedTime(lastCleanup.Value) >= CleanupInterval)
                {
                    lastCleanup = TimeProvider.System.GetTimestamp();
                    await DeleteOldAsync(stoppingToken);
                }
                await signal.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database may be briefly away; the next pass tries again.
                logger.LogWarning("Delivery pass failed ({ErrorType}: {Error}); retrying in {Interval}.", e.GetType().Name, e.Message, interval);
                try
                {
                    await Task.Delay(interval, TimeProvider.System, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The outbox keeps codes readable: a week. Everything else goes after 30 days.</summary>
    private async Task DeleteOldAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var outboxCutoff = now - OutboxRetention;
        var cutoff = now - Retention;
        // Note: every app's messages (the worker serves the platform).
        var outbox = await db.Messages.IgnoreQueryFilters().Where(m => m.Provider == DeliveryProviders.Outbox && m.CreatedAt < outboxCutoff).ExecuteDeleteAsync(ct);
        var old = await db.Messages.IgnoreQueryFilters().Where(m => m.CreatedAt < cutoff).ExecuteDeleteAsync(ct);
        if (outbox + old > 0)
        {
            logger.LogInformation("Deleted {Outbox} outbox message(s) older than 7 days and {Old} message(s) older than 30 days.", outbox, old);
        }
    }
}
